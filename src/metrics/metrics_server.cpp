// Copyright (c) James Kassemi, SC, US. All rights reserved.
// MetricsServer: HTTP/1.1 on plain Asio (no Beast), one request per connection. Every handler
// runs on one strand; a connection reads its request head into a buffer of fixed size
// (max_request_bytes), answers, stops sending, reads what the client still sends (bounded) so
// that the close does not reset the response away, and closes. A deadline per connection closes
// slow or idle clients. Errors are values throughout (as_tuple); co_spawn's completion swallows
// anything else (std::bad_alloc), so nothing leaves a handler.
#include "ws_source/metrics_server.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cctype>
#include <charconv>
#include <exception>
#include <mutex>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include "ws_source/metrics.hpp"

namespace ws_source {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
// How long a client may take to close after its response before the server closes anyway.
constexpr std::chrono::milliseconds kLingerTime{1000};
// Pause after a failed accept (e.g. out of file descriptors) before the next one.
constexpr std::chrono::milliseconds kAcceptRetry{100};

MetricsServerError error(MetricsServerError::Kind kind, std::string message) { return {kind, std::move(message)}; }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

struct Connection;

// State shared by the handlers; they hold it alive past the MetricsServer if they must.
struct Shared {
  Shared(asio::io_context& io, MetricsServer::BodyFn fn, MetricsServerOptions o)
      : strand(asio::make_strand(io)), acceptor(strand), accept_pause(strand), options(o), body(std::move(fn)) {}

  // Closes the acceptor and every connection (on the strand).
  void close_all() {
    error_code ignored;
    acceptor.close(ignored);
    accept_pause.cancel();
    const std::vector<Connection*> open(connections.begin(), connections.end());
    for (Connection* c : open) close(*c);
  }
  static void close(Connection& c);

  asio::strand<asio::io_context::executor_type> strand;
  tcp::acceptor acceptor;
  asio::steady_timer accept_pause;
  const MetricsServerOptions options;
  std::unordered_set<Connection*> connections;  // on the strand (or in ~io_context)

  std::mutex body_mutex;  // held while body runs; stop() takes it to end the calls
  MetricsServer::BodyFn body;
  bool stopped{false};
};

// One accepted connection; owned by its coroutine (and, weakly, by its deadline).
struct Connection {
  Connection(std::shared_ptr<Shared> s, tcp::socket sock)
      : shared(std::move(s)),
        socket(std::move(sock)),
        deadline(shared->strand),
        buffer(shared->options.max_request_bytes) {
    shared->connections.insert(this);
  }
  ~Connection() { shared->connections.erase(this); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  std::shared_ptr<Shared> shared;
  tcp::socket socket;
  asio::steady_timer deadline;
  std::vector<char> buffer;  // the request head, at most max_request_bytes: allocated once
};

void Shared::close(Connection& c) {
  error_code ignored;
  c.socket.close(ignored);
  c.deadline.cancel();
}

// Closes the socket when the deadline passes (the pending read or write then ends).
void arm(const std::shared_ptr<Connection>& c) {
  c->deadline.async_wait([weak = std::weak_ptr<Connection>(c)](error_code ec) {
    if (ec) return;
    if (auto live = weak.lock()) {
      error_code ignored;
      live->socket.close(ignored);
    }
  });
}

struct Response {
  unsigned status{200};
  std::string_view reason{"OK"};
  std::string body;
  std::string_view content_type{"text/plain; charset=utf-8"};
  bool allow{false};      // send `Allow: GET, HEAD` (405)
  bool head_only{false};  // HEAD: the headers of the GET, no body
};

Response plain(unsigned status, std::string_view reason, std::string_view text) {
  return Response{status, reason, std::string(text) + "\n", "text/plain; charset=utf-8", false, false};
}

std::string head_of(const Response& r) {
  std::string h = "HTTP/1.1 ";
  h += std::to_string(r.status);
  h += ' ';
  h += r.reason;
  h += "\r\nContent-Type: ";
  h += r.content_type;
  h += "\r\nContent-Length: ";
  h += std::to_string(r.body.size());
  h += "\r\nConnection: close\r\n";
  if (r.allow) h += "Allow: GET, HEAD\r\n";
  h += "\r\n";
  return h;
}

// Where the request head (up to and including its blank line) ends in `data`, searching from
// `from`; `lead` leading CR/LF bytes (tolerated before the request line) are not part of it.
std::optional<std::size_t> head_end(std::string_view data, std::size_t from) {
  const std::size_t lead = std::min(data.find_first_not_of("\r\n"), data.size());
  for (std::size_t i = std::max(from, lead); i < data.size(); ++i) {
    if (data[i] != '\n') continue;
    if (i >= 1 && data[i - 1] == '\n' && i - 1 >= lead) return i + 1;
    if (i >= 3 && data.substr(i - 3, 4) == "\r\n\r\n" && i - 3 >= lead) return i + 1;
  }
  return std::nullopt;
}

// The response to a complete request head.
Response respond(Shared& s, std::string_view head) {
  head.remove_prefix(std::min(head.find_first_not_of("\r\n"), head.size()));
  std::string_view line = head.substr(0, head.find('\n'));
  if (line.ends_with('\r')) line.remove_suffix(1);
  const std::size_t sp1 = line.find(' ');
  const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp1 == 0 || sp2 == std::string_view::npos || sp2 == sp1 + 1 || sp2 + 1 >= line.size() ||
      line.find(' ', sp2 + 1) != std::string_view::npos) {
    return plain(400, "Bad Request", "malformed request line");
  }
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (version != "HTTP/1.1" && version != "HTTP/1.0") {
    return version.starts_with("HTTP/") ? plain(505, "HTTP Version Not Supported", "HTTP/1.0 or HTTP/1.1 only")
                                        : plain(400, "Bad Request", "malformed request line");
  }
  if (target.substr(0, target.find('?')) != "/metrics") return plain(404, "Not Found", "not found: try /metrics");
  if (method != "GET" && method != "HEAD") {
    Response r = plain(405, "Method Not Allowed", "GET or HEAD only");
    r.allow = true;
    return r;
  }
  Response r;
  r.content_type = kPrometheusContentType;
  r.head_only = method == "HEAD";
  try {
    const std::lock_guard lock(s.body_mutex);
    if (s.stopped || !s.body) return plain(503, "Service Unavailable", "the metrics server is stopping");
    r.body = s.body();
  } catch (...) {  // the host's body function failed: its text may say anything, so it is not sent
    return plain(500, "Internal Server Error", "the metrics could not be collected");
  }
  return r;
}

asio::awaitable<void> serve(std::shared_ptr<Connection> c) {
  const MetricsServerOptions& opt = c->shared->options;
  c->deadline.expires_after(opt.timeout);
  arm(c);
  std::vector<char>& buf = c->buffer;
  std::size_t used = 0;
  std::optional<std::size_t> end;
  while (!end && used < buf.size()) {
    auto [ec, n] = co_await c->socket.async_read_some(asio::buffer(buf.data() + used, buf.size() - used), kNoThrow);
    if (ec) {  // closed by the client, the deadline or stop()
      Shared::close(*c);
      co_return;
    }
    const std::size_t from = used >= 3 ? used - 3 : 0;
    used += n;
    end = head_end(std::string_view(buf.data(), used), from);
  }
  const Response r = end ? respond(*c->shared, std::string_view(buf.data(), *end))
                         : plain(431, "Request Header Fields Too Large", "request head too large");
  const std::string head = head_of(r);
  const std::array<asio::const_buffer, 2> out{asio::buffer(head),
                                              r.head_only ? asio::const_buffer() : asio::buffer(r.body)};
  auto [wec, written] = co_await asio::async_write(c->socket, out, kNoThrow);
  static_cast<void>(written);
  if (!wec) {
    // Lingering close: stop sending, then discard what the client still sends (bounded in bytes
    // and time) until it closes, so that our close does not reset the response away.
    error_code ignored;
    c->socket.shutdown(tcp::socket::shutdown_send, ignored);
    const auto linger_until = std::chrono::steady_clock::now() + kLingerTime;
    if (c->deadline.expiry() > linger_until) {
      c->deadline.expires_at(linger_until);  // cancels the armed wait
      arm(c);
    }
    std::size_t drained = 0;
    while (drained < opt.linger_bytes) {
      const std::size_t want = std::min(buf.size(), opt.linger_bytes - drained);
      auto [ec, n] = co_await c->socket.async_read_some(asio::buffer(buf.data(), want), kNoThrow);
      if (ec || n == 0) break;  // n == 0 only with an empty buffer (max_request_bytes 0)
      drained += n;
    }
  }
  Shared::close(*c);
}

asio::awaitable<void> accept_loop(std::shared_ptr<Shared> s) {
  while (s->acceptor.is_open()) {
    auto [ec, socket] = co_await s->acceptor.async_accept(kNoThrow);
    if (!s->acceptor.is_open()) break;
    if (ec) {  // e.g. EMFILE: try again a little later rather than spin
      s->accept_pause.expires_after(kAcceptRetry);
      co_await s->accept_pause.async_wait(kNoThrow);
      continue;
    }
    if (s->connections.size() >= s->options.max_connections) {
      error_code ignored;
      socket.close(ignored);
      continue;
    }
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    asio::co_spawn(s->strand, serve(std::make_shared<Connection>(s, std::move(socket))),
                   [](const std::exception_ptr&) {});  // NOLINT(bugprone-empty-catch): never leaves the io thread
  }
}

MetricsServerError bind_error(const error_code& ec, const std::string& where) {
  using Kind = MetricsServerError::Kind;
  if (ec == asio::error::address_in_use) {
    return error(Kind::AddressInUse, "metrics address " + where + " is already in use");
  }
  if (ec == asio::error::access_denied) {
    return error(Kind::PermissionDenied, "no permission to listen on metrics address " + where);
  }
  if (ec == asio::error::address_family_not_supported || ec == boost::system::errc::address_not_available) {
    return error(Kind::BadAddress, "metrics address " + where + " is not an address of this machine");
  }
  return error(Kind::Io, "cannot listen on metrics address " + where + ": " + ec.message());
}

}  // namespace

std::string MetricsEndpoint::to_string() const {
  std::string s;
  if (address.find(':') != std::string::npos) {
    s.append("[").append(address).append("]");
  } else {
    s = address;
  }
  return s.append(":").append(std::to_string(port));
}

Result<std::optional<MetricsEndpoint>, MetricsServerError> parse_metrics_addr(std::string_view text) {
  using Kind = MetricsServerError::Kind;
  const auto bad = [&](std::string_view why) {
    std::string m = "metrics address '";
    m.append(text).append("': ").append(why);
    return fail(error(Kind::BadAddress, std::move(m)));
  };
  constexpr std::string_view kExpected = "expected HOST:PORT (e.g. 127.0.0.1:9898), [IPv6]:PORT, :PORT or off";
  if (iequals(text, "off")) return std::optional<MetricsEndpoint>{};
  if (text.empty()) return bad(kExpected);
  std::string_view host;
  std::string_view port_text;
  if (text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') return bad(kExpected);
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
    if (host.find(':') == std::string_view::npos) return bad("brackets are for IPv6 addresses only");
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return bad(kExpected);
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return bad("an IPv6 address needs brackets, e.g. [::1]:9898");
  }
  if (port_text.empty() || port_text.size() > 5 ||
      !std::all_of(port_text.begin(), port_text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return bad("the port must be a number from 0 to 65535");
  }
  unsigned port = 0;
  std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port > 65535) return bad("the port must be a number from 0 to 65535");
  std::string address = host.empty() || host == "localhost" ? std::string("127.0.0.1") : std::string(host);
  error_code ec;
  static_cast<void>(asio::ip::make_address(address, ec));
  if (ec) return bad("not an IP address (host names other than localhost are not resolved)");
  return std::optional<MetricsEndpoint>{MetricsEndpoint{std::move(address), static_cast<std::uint16_t>(port)}};
}

struct MetricsServer::Impl {
  Impl(std::unique_ptr<asio::io_context> own, asio::io_context& io, BodyFn body, MetricsServerOptions options)
      : own_io(std::move(own)), shared(std::make_shared<Shared>(io, std::move(body), options)) {}

  std::unique_ptr<asio::io_context> own_io;  // declared first: destroyed after `shared`
  std::shared_ptr<Shared> shared;
  std::thread thread;
  std::atomic<std::uint16_t> port{0};
  std::atomic<bool> listening{false};
  bool listened{false};
  bool stopped{false};
};

MetricsServer::MetricsServer(BodyFn body, MetricsServerOptions options) {
  auto io = std::make_unique<asio::io_context>(1);
  asio::io_context& ref = *io;
  impl_ = std::make_unique<Impl>(std::move(io), ref, std::move(body), options);
}

MetricsServer::MetricsServer(asio::io_context& io, BodyFn body, MetricsServerOptions options)
    : impl_(std::make_unique<Impl>(nullptr, io, std::move(body), options)) {}

MetricsServer::~MetricsServer() { stop(); }

Result<void, MetricsServerError> MetricsServer::listen(const MetricsEndpoint& endpoint) {
  return listen(endpoint.address, endpoint.port);
}

Result<void, MetricsServerError> MetricsServer::listen(std::string_view address, std::uint16_t port) {
  using Kind = MetricsServerError::Kind;
  Impl& m = *impl_;
  if (m.stopped) return fail(error(Kind::Stopped, "the metrics server was stopped"));
  if (m.listened) {
    return fail(error(Kind::AlreadyListening, "the metrics server already listens on port " + std::to_string(m.port)));
  }
  error_code ec;
  const auto ip = asio::ip::make_address(std::string(address), ec);
  if (ec) return fail(error(Kind::BadAddress, "metrics address '" + std::string(address) + "' is not an IP address"));
  const tcp::endpoint ep(ip, port);
  const std::string where = MetricsEndpoint{ip.to_string(), port}.to_string();
  tcp::acceptor& acc = m.shared->acceptor;
  const auto failed = [&](MetricsServerError e) {
    error_code ignored;
    acc.close(ignored);
    return fail(std::move(e));
  };
  if (acc.open(ep.protocol(), ec); ec) return failed(bind_error(ec, where));
  acc.set_option(tcp::acceptor::reuse_address(true), ec);  // only lets a TIME_WAIT port be reused
  if (acc.bind(ep, ec); ec) return failed(bind_error(ec, where));
  if (acc.listen(asio::socket_base::max_listen_connections, ec); ec) return failed(bind_error(ec, where));
  const tcp::endpoint local = acc.local_endpoint(ec);
  if (ec) return failed(bind_error(ec, where));
  try {
    asio::co_spawn(m.shared->strand, accept_loop(m.shared), [](const std::exception_ptr&) {});
    if (m.own_io) {
      m.thread = std::thread([io = m.own_io.get()] {
        for (;;) {  // nothing in the handlers throws; should anything, the loop goes on
          try {
            io->run();
            return;
          } catch (...) {  // NOLINT(bugprone-empty-catch)
          }
        }
      });
    }
  } catch (const std::exception& e) {  // std::thread's system_error, bad_alloc
    return failed(error(Kind::Io, "cannot start the metrics server: " + std::string(e.what())));
  }
  m.port = local.port();
  m.listened = true;
  m.listening = true;
  return {};
}

std::uint16_t MetricsServer::port() const noexcept { return impl_->port; }

bool MetricsServer::listening() const noexcept { return impl_->listening; }

void MetricsServer::stop() noexcept {
  Impl& m = *impl_;
  if (m.stopped) return;
  m.stopped = true;
  m.listening = false;
  BodyFn released;
  {
    const std::lock_guard lock(m.shared->body_mutex);  // waits for a call in progress
    m.shared->stopped = true;
    released = std::move(m.shared->body);
    m.shared->body = nullptr;
  }
  try {
    asio::dispatch(m.shared->strand, [s = m.shared] { s->close_all(); });
  } catch (...) {  // NOLINT(bugprone-empty-catch): out of memory; the own thread is stopped below
    if (m.own_io) m.own_io->stop();
  }
  if (m.thread.joinable()) m.thread.join();
  // `released` (the host's function and its captures) is destroyed here, off the io thread.
}

}  // namespace ws_source
