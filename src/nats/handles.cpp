// Copyright (c) James Kassemi, SC, US. All rights reserved.
#include "handles.hpp"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <vector>

namespace ws_source::nats_detail {
namespace {

// The user-info parts (`user:password`, `token`) of every server in `url`.
std::vector<std::string_view> credentials_of(std::string_view url) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start <= url.size()) {
    const std::size_t comma = url.find(',', start);
    const std::string_view one =
        url.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    const std::size_t scheme = one.find("://");
    const std::size_t from = scheme == std::string_view::npos ? 0 : scheme + 3;
    const std::size_t at = one.rfind('@');
    if (at != std::string_view::npos && at > from) {
      const std::string_view info = one.substr(from, at - from);
      out.push_back(info);
      if (const std::size_t colon = info.find(':'); colon != std::string_view::npos) {
        if (colon + 1 < info.size()) out.push_back(info.substr(colon + 1));  // the password alone
      }
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

std::string last_error_text(natsStatus status) {
  natsStatus last = NATS_OK;
  const char* text = nats_GetLastError(&last);
  std::string out = natsStatus_GetText(status);
  if (text != nullptr && *text != '\0' && std::string_view(text) != out) {
    out += " (";
    out += text;
    out += ')';
  }
  return out;
}

bool valid_stream_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

std::string ms_text(std::chrono::nanoseconds ns) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(ns).count()) + " ms";
}

}  // namespace

std::string scrub(std::string text, std::string_view url) {
  for (const std::string_view secret : credentials_of(url)) {
    if (secret.empty()) continue;
    for (std::size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at + 3)) {
      text.replace(at, secret.size(), "***");
    }
  }
  return text;
}

NatsError nats_error(NatsError::Kind kind, std::string_view what, std::string_view url, natsStatus status,
                     jsErrCode js_code) {
  std::string msg(what);
  if (!url.empty()) {
    msg += " (";
    msg += redact_nats_url(url);
    msg += ')';
  }
  if (status != NATS_OK) {
    msg += ": ";
    msg += last_error_text(status);
  }
  if (js_code != 0) msg += " [JetStream error " + std::to_string(static_cast<int>(js_code)) + "]";
  return NatsError{kind, scrub(std::move(msg), url), static_cast<int>(status), static_cast<int>(js_code)};
}

Result<std::vector<ServerAddress>, NatsError> parse_servers(std::string_view url) {
  if (url.empty()) return fail(NatsError{NatsError::Kind::Config, "NATS URL is empty"});
  std::vector<ServerAddress> out;
  std::size_t start = 0;
  while (start <= url.size()) {
    const std::size_t comma = url.find(',', start);
    std::string_view one = url.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    while (!one.empty() && one.front() == ' ') one.remove_prefix(1);
    while (!one.empty() && one.back() == ' ') one.remove_suffix(1);
    const auto bad = [&](std::string_view why) {
      return fail(NatsError{NatsError::Kind::Config, "NATS URL \"" + redact_nats_url(one) + "\": " + std::string(why) +
                                                         " (expected nats://host:port or tls://host:port)"});
    };
    if (!one.starts_with("nats://") && !one.starts_with("tls://")) return bad("unknown scheme");
    ServerAddress addr;
    addr.tls = one.starts_with("tls://");
    std::string_view rest = one.substr(one.find("://") + 3);
    if (const std::size_t at = rest.rfind('@'); at != std::string_view::npos) rest.remove_prefix(at + 1);
    if (const std::size_t slash = rest.find('/'); slash != std::string_view::npos) rest = rest.substr(0, slash);
    std::string_view host = rest;
    if (host.starts_with('[')) {  // [v6]:port
      const std::size_t close = host.find(']');
      if (close == std::string_view::npos) return bad("unterminated IPv6 address");
      const std::string_view after = host.substr(close + 1);
      host = host.substr(1, close - 1);
      rest = after;
      if (!rest.empty() && !rest.starts_with(':')) return bad("junk after the IPv6 address");
      rest = rest.empty() ? rest : rest.substr(1);
    } else if (const std::size_t colon = host.rfind(':'); colon != std::string_view::npos) {
      rest = host.substr(colon + 1);
      host = host.substr(0, colon);
    } else {
      rest = {};
    }
    if (host.empty()) return bad("no host");
    if (!rest.empty()) {
      if (rest.size() > 5 || !std::all_of(rest.begin(), rest.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return bad("the port is not a number");
      }
      const int port = std::stoi(std::string(rest));  // at most 5 digits: no overflow
      if (port > 65535 || port == 0) return bad("the port is out of range");
      addr.port = static_cast<std::uint16_t>(port);
    }
    addr.host = std::string(host);
    out.push_back(std::move(addr));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

Result<void, NatsError> validate_url(std::string_view url) {
  auto servers = parse_servers(url);
  if (!servers) return fail(std::move(servers.error()));
  return {};
}

namespace {
struct Fd {
  int fd;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { ::close(fd); }
};
}  // namespace

bool server_answers(const ServerAddress& server, std::chrono::milliseconds timeout) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + timeout;
  const auto left_ms = [&] {
    return static_cast<int>(std::max<std::int64_t>(
        0, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count()));
  };
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(server.port);
  if (::getaddrinfo(server.host.c_str(), port.c_str(), &hints, &found) != 0 || found == nullptr) return false;
  const std::unique_ptr<addrinfo, void (*)(addrinfo*)> list(found, ::freeaddrinfo);
  for (const addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    const int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    const Fd closer(fd);
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) continue;
    pollfd pfd{fd, POLLOUT, 0};
    if (::poll(&pfd, 1, left_ms()) != 1) continue;
    int err = 0;
    socklen_t len = sizeof err;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) continue;
    // Reads one line (up to CRLF) before the deadline.
    std::string buf;
    const auto read_line = [&](std::string& line) {
      for (;;) {
        if (const std::size_t eol = buf.find("\r\n"); eol != std::string::npos) {
          line = buf.substr(0, eol);
          buf.erase(0, eol + 2);
          return true;
        }
        pollfd in{fd, POLLIN, 0};
        if (::poll(&in, 1, left_ms()) != 1) return false;
        std::array<char, 4096> chunk{};
        const ssize_t n = ::recv(fd, chunk.data(), chunk.size(), 0);
        if (n <= 0 || buf.size() > 65536) return false;
        buf.append(chunk.data(), static_cast<std::size_t>(n));
      }
    };
    std::string line;
    if (!read_line(line) || !line.starts_with("INFO")) continue;
    if (server.tls || line.find("\"tls_required\":true") != std::string::npos) return true;  // TLS next: INFO will do
    constexpr std::string_view kHello = "CONNECT {\"verbose\":false,\"pedantic\":false}\r\nPING\r\n";
    if (::send(fd, kHello.data(), kHello.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(kHello.size())) continue;
    if (read_line(line)) return true;  // PONG, or -ERR (e.g. authorization): it answers
  }
  return false;
}

Result<ConnectionPtr, NatsError> connect(const NatsConnectSettings& settings, const ConnectionCallbacks& callbacks) {
  auto servers = parse_servers(settings.url);
  if (!servers) return fail(std::move(servers.error()));
  if (settings.connect_timeout.count() <= 0) {
    return fail(NatsError{NatsError::Kind::Config, "connect_timeout must be positive"});
  }
  // cnats 3.4.1's connect spins forever (100 % CPU, growing memory: _readProto ignores the read
  // timeout) on a server that sends INFO and then nothing. Ask each server first, bounded by the
  // connect timeout; connect only when one answers.
  if (std::none_of(servers->begin(), servers->end(),
                   [&](const ServerAddress& a) { return server_answers(a, settings.connect_timeout); })) {
    return fail(NatsError{NatsError::Kind::Connect, "cannot connect to NATS (" + redact_nats_url(settings.url) +
                                                        "): no server accepted the connection and answered within " +
                                                        std::to_string(settings.connect_timeout.count()) + " ms"});
  }
  natsOptions* raw = nullptr;
  natsStatus s = natsOptions_Create(&raw);
  OptionsPtr opts(raw);
  const auto set = [&s](natsStatus r) {
    if (s == NATS_OK) s = r;
  };
  set(natsOptions_SetURL(opts.get(), settings.url.c_str()));
  set(natsOptions_SetTimeout(opts.get(), settings.connect_timeout.count()));
  set(natsOptions_SetName(opts.get(), settings.name.c_str()));
  set(natsOptions_SetAllowReconnect(opts.get(), true));
  set(natsOptions_SetMaxReconnect(opts.get(), -1));  // never give up once connected
  set(natsOptions_SetReconnectWait(opts.get(), std::max<std::int64_t>(1, settings.reconnect_wait.count())));
  set(natsOptions_SetRetryOnFailedConnect(opts.get(), false, nullptr, nullptr));  // a clear error at start
  // A dead peer that does not close the socket is noticed within ~3 pings.
  set(natsOptions_SetPingInterval(opts.get(), 5'000));
  set(natsOptions_SetMaxPingsOut(opts.get(), 2));
  if (callbacks.disconnected != nullptr) {
    set(natsOptions_SetDisconnectedCB(opts.get(), callbacks.disconnected, callbacks.closure));
  }
  if (callbacks.reconnected != nullptr) {
    set(natsOptions_SetReconnectedCB(opts.get(), callbacks.reconnected, callbacks.closure));
  }
  if (callbacks.closed != nullptr) set(natsOptions_SetClosedCB(opts.get(), callbacks.closed, callbacks.closure));
  if (callbacks.error != nullptr) set(natsOptions_SetErrorHandler(opts.get(), callbacks.error, callbacks.closure));
  if (s != NATS_OK) return fail(nats_error(NatsError::Kind::Config, "invalid NATS options", settings.url, s));

  natsConnection* nc = nullptr;
  s = natsConnection_Connect(&nc, opts.get());
  if (s != NATS_OK) {
    natsConnection_Destroy(nc);
    return fail(nats_error(NatsError::Kind::Connect, "cannot connect to NATS", settings.url, s));
  }
  return ConnectionPtr(nc);
}

Result<JsPtr, NatsError> jetstream(natsConnection* nc, const NatsConnectSettings& settings, jsOptions& options) {
  options.Wait = std::max<std::int64_t>(1, settings.api_timeout.count());
  jsCtx* js = nullptr;
  const natsStatus s = natsConnection_JetStream(&js, nc, &options);
  if (s != NATS_OK) {
    jsCtx_Destroy(js);
    return fail(nats_error(NatsError::Kind::Nats, "cannot make a JetStream context", settings.url, s));
  }
  return JsPtr(js);
}

Result<void, NatsError> validate_stream_name(std::string_view name) {
  if (name.empty() || name.size() > 255 || !std::all_of(name.begin(), name.end(), valid_stream_char)) {
    return fail(NatsError{NatsError::Kind::Config,
                          "stream name \"" + std::string(name) + "\": use 1-255 letters, digits, '-' or '_'"});
  }
  return {};
}

Result<StreamCheck, NatsError> ensure_stream(jsCtx* js, const NatsConnectSettings& connection,
                                             const NatsStreamSettings& stream, bool create,
                                             std::chrono::nanoseconds min_duplicate_window) {
  const std::string& url = connection.url;
  const std::string what_stream = "stream " + stream.name;
  StreamCheck check;
  jsStreamInfo* raw = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&raw, js, stream.name.c_str(), nullptr, &jerr);
  StreamInfoPtr info(raw);
  const auto not_enabled = [&](natsStatus st, jsErrCode code) {
    return st == NATS_NO_RESPONDERS || code == JSNotEnabledErr || code == JSNotEnabledForAccountErr;
  };
  if (s != NATS_OK && not_enabled(s, jerr)) {
    return fail(nats_error(NatsError::Kind::Stream,
                           "JetStream is not enabled on the NATS server (start nats-server with -js)", url, s, jerr));
  }
  if (s == NATS_NOT_FOUND || jerr == JSStreamNotFoundErr) {
    if (!create) {
      return fail(NatsError{NatsError::Kind::Stream,
                            what_stream + " does not exist on the NATS server (" + redact_nats_url(url) + ")"});
    }
    const std::string pattern = stream.subject_prefix + ".>";
    std::array<const char*, 1> subjects{pattern.c_str()};
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = stream.name.c_str();
    cfg.Subjects = subjects.data();
    cfg.SubjectsLen = 1;
    cfg.Storage = stream.memory_storage ? js_MemoryStorage : js_FileStorage;
    cfg.Duplicates = std::chrono::duration_cast<std::chrono::nanoseconds>(stream.duplicate_window).count();
    if (stream.max_age.count() > 0) {
      cfg.MaxAge = std::chrono::duration_cast<std::chrono::nanoseconds>(stream.max_age).count();
    }
    if (stream.max_bytes > 0) cfg.MaxBytes = stream.max_bytes;
    jsStreamInfo* created = nullptr;
    jerr = static_cast<jsErrCode>(0);
    s = js_AddStream(&created, js, &cfg, nullptr, &jerr);
    info.reset(created);
    if (s == NATS_OK) {
      check.created = true;
    } else if (jerr == JSStreamNameExistErr) {  // someone else created it meanwhile: check theirs
      raw = nullptr;
      s = js_GetStreamInfo(&raw, js, stream.name.c_str(), nullptr, &jerr);
      info.reset(raw);
    } else if (jerr == JSStreamSubjectOverlapErr) {
      return fail(nats_error(NatsError::Kind::Stream,
                             "cannot create " + what_stream + ": another stream already captures subjects " + pattern,
                             url, s, jerr));
    }
    if (s != NATS_OK) {
      return fail(nats_error(NatsError::Kind::Stream, "cannot create " + what_stream, url, s, jerr));
    }
  } else if (s != NATS_OK) {
    return fail(nats_error(s == NATS_TIMEOUT ? NatsError::Kind::Stream : NatsError::Kind::Nats,
                           "cannot look up " + what_stream, url, s, jerr));
  }
  const jsStreamConfig* cfg = info ? info->Config : nullptr;
  if (cfg == nullptr)
    return fail(NatsError{NatsError::Kind::Stream, what_stream + ": the server sent no configuration"});
  // Every feed subject must be captured by one of the stream's subjects.
  for (const ResourceType rt : kAllResourceTypes) {
    const std::string subject = nats_subject(stream.subject_prefix, rt);
    bool covered = false;
    for (int i = 0; i < cfg->SubjectsLen && !covered; ++i) {
      covered = cfg->Subjects[i] != nullptr && nats_subject_matches(cfg->Subjects[i], subject);
    }
    if (!covered) {
      std::string msg = what_stream;
      msg += " does not capture subject ";
      msg += subject;
      msg += " (its subjects must cover ";
      msg += stream.subject_prefix;
      msg += ".<cluster>.<quotes|trades>)";
      return fail(NatsError{NatsError::Kind::Stream, std::move(msg)});
    }
  }
  check.duplicate_window = std::chrono::nanoseconds(cfg->Duplicates);
  if (min_duplicate_window.count() > 0 && check.duplicate_window <= min_duplicate_window) {
    return fail(NatsError{NatsError::Kind::Config, what_stream + " deduplicates over " +
                                                       ms_text(check.duplicate_window) +
                                                       ", not longer than the sink's retry horizon (retry_for + "
                                                       "ack_timeout = " +
                                                       ms_text(min_duplicate_window) +
                                                       "): a late resend could be stored twice; lower retry_for"});
  }
  return check;
}

}  // namespace ws_source::nats_detail
