// Copyright (c) James Kassemi, SC, US. All rights reserved.
//
// `connect_and_subscribe`: resolve, TCP, TLS, the WebSocket upgrade, the status flow (connected,
// auth, auth_success) and the subscribe messages, each step under its timeout; and
// `WebSocketStream`'s plain read/write/close. Errors are values: every Asio/Beast call uses
// `as_tuple`, so nothing throws out of here.

#include <openssl/ssl.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <string>

#include "net/handshake.hpp"
#include "net/transport.hpp"
#include "ws_source/parse.hpp"
#include "ws_source/version.hpp"

namespace ws_source {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using asio::ip::tcp;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

WsError error(const WsWorker& w, DisconnectReason reason, std::string message) {
  return WsError{reason, w.cluster(), w.shard_id, std::move(message)};
}

/// The URL without anything that could hold a secret (there is no user info in a valid one).
std::string printable(const Url& u) { return u.scheme + "://" + u.authority() + u.target; }

}  // namespace

std::string WsError::to_string() const {
  std::string s(path(cluster));
  s += " shard ";
  s += std::to_string(shard);
  s += ": ";
  s += ws_source::to_string(reason);
  if (!message.empty()) {
    s += ": ";
    s += message;
  }
  return s;
}

namespace detail {

asio::awaitable<Result<std::shared_ptr<asio::ssl::context>, WsError>> make_tls_context(const WsWorker& w) {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  beast::error_code ec;
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1,
                   ec);
  if (!ec) ctx->set_default_verify_paths(ec);
  if (!ec && !w.tls.ca_file.empty()) ctx->load_verify_file(w.tls.ca_file, ec);
  if (!ec) ctx->set_verify_mode(asio::ssl::verify_peer, ec);
  if (ec) co_return fail(error(w, DisconnectReason::Connect, "TLS setup: " + ec.message()));
  co_return ctx;
}

asio::awaitable<Result<WebSocketStream, WsError>> open_transport(const WsWorker& w,
                                                                 std::shared_ptr<asio::ssl::context> tls) {
  auto ex = co_await asio::this_coro::executor;
  if (auto ok = check_ws_url(w.url); !ok) co_return fail(error(w, DisconnectReason::Connect, ok.error()));
  const auto timeout = std::chrono::milliseconds(w.connection.connect_timeout_ms);
  const std::string where = printable(w.url);
  tcp::resolver resolver(ex);
  auto [rec, endpoints] = co_await resolver.async_resolve(w.url.host, std::to_string(w.url.port), kNoThrow);
  if (rec) co_return fail(error(w, DisconnectReason::Connect, "cannot resolve " + w.url.host + ": " + rec.message()));

  auto impl = std::make_unique<WebSocketStream::Impl>();
  impl->cluster = w.cluster();
  impl->shard = w.shard_id;
  const std::string host = w.url.authority();
  const auto fail_connect = [&](const char* step, const beast::error_code& ec) {
    const std::string why =
        ec == beast::error::timeout ? "timed out after " + std::to_string(timeout.count()) + " ms" : ec.message();
    return fail(error(w, DisconnectReason::Connect, std::string(step) + " " + where + ": " + why));
  };

  websocket::stream_base::timeout ws_timeouts{};
  ws_timeouts.handshake_timeout = timeout;
  ws_timeouts.idle_timeout = websocket::stream_base::none();  // the worker pings and watches silence itself
  ws_timeouts.keep_alive_pings = false;
  const auto decorate = [](websocket::request_type& req) {
    req.set(beast::http::field::user_agent, std::string("ws-source/") + std::string(kVersion));
  };

  if (!w.url.tls()) {
    auto ws = std::make_unique<detail::PlainWs>(ex);
    auto& t = tcp_of(*ws);
    t.expires_after(timeout);
    auto [cec, ep] = co_await t.async_connect(endpoints, kNoThrow);
    (void)ep;
    if (cec) co_return fail_connect("cannot connect to", cec);
    t.socket().set_option(tcp::no_delay(true), cec);
    t.expires_never();
    ws->set_option(ws_timeouts);
    ws->set_option(websocket::stream_base::decorator(decorate));
    auto [hec] = co_await ws->async_handshake(host, w.url.target, kNoThrow);
    if (hec) co_return fail_connect("WebSocket upgrade failed at", hec);
    impl->ws = std::move(ws);
  } else {
    if (!tls) co_return fail(error(w, DisconnectReason::Connect, "TLS context missing"));
    impl->tls_context = tls;
    auto ws = std::make_unique<detail::TlsWs>(ex, *tls);
    auto& t = tcp_of(*ws);
    t.expires_after(timeout);
    auto [cec, ep] = co_await t.async_connect(endpoints, kNoThrow);
    (void)ep;
    if (cec) co_return fail_connect("cannot connect to", cec);
    t.socket().set_option(tcp::no_delay(true), cec);
    auto& ssl = ws->next_layer();
    // SNI, and the name the certificate must carry.
    // SSL_set_tlsext_host_name, without the macro's C cast.
    if (SSL_ctrl(ssl.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                 const_cast<char*>(w.url.host.c_str())) != 1) {
      co_return fail(error(w, DisconnectReason::Connect, "TLS: cannot set the server name (SNI)"));
    }
    ssl.set_verify_callback(asio::ssl::host_name_verification(w.url.host));
    auto [tec] = co_await ssl.async_handshake(asio::ssl::stream_base::client, kNoThrow);
    if (tec) co_return fail_connect("TLS handshake failed with", tec);
    t.expires_never();
    ws->set_option(ws_timeouts);
    ws->set_option(websocket::stream_base::decorator(decorate));
    auto [hec] = co_await ws->async_handshake(host, w.url.target, kNoThrow);
    if (hec) co_return fail_connect("WebSocket upgrade failed at", hec);
    impl->ws = std::move(ws);
  }
  impl->visit([](auto& ws) {
    ws.text(true);
    ws.auto_fragment(false);
    ws.read_message_max(kMaxMessageBytes);
  });
  co_return WebSocketStream(std::move(impl));
}

asio::awaitable<Result<void, WsError>> authenticate(const WsWorker& w, WebSocketStream& stream) {
  const auto timeout = std::chrono::milliseconds(w.connection.auth_timeout_ms);
  auto& impl = stream.impl();
  Parser parser;
  ParsedFrame frame;
  std::string text;
  bool connected = false;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  // The tcp stream's expiry bounds the status flow as a whole.
  impl.visit([&](auto& ws) { tcp_of(ws).expires_at(deadline); });
  for (;;) {
    auto r = co_await stream.read(text);
    if (!r) {
      WsError e = std::move(r).error();
      if (e.reason == DisconnectReason::Closed && std::chrono::steady_clock::now() >= deadline) {
        e.reason = DisconnectReason::AuthTimeout;
        e.message = "no `connected` + `auth_success` within " + std::to_string(timeout.count()) + " ms";
      }
      co_return fail(std::move(e));
    }
    auto ctx = FrameContext::now();
    ctx.max_future_skew_ns = static_cast<std::int64_t>(w.connection.max_future_skew_ms) * 1'000'000;
    if (auto p = parser.parse(std::span<const char>(text.data(), text.size()), ctx, frame); !p) {
      co_return fail(error(w, DisconnectReason::Protocol, "bad frame during the handshake: " + p.error().message()));
    }
    if (frame.row_count() != 0) {
      co_return fail(error(w, DisconnectReason::Protocol,
                           "data before authentication (" + std::to_string(frame.row_count()) + " rows)"));
    }
    for (const StatusMessage& s : frame.statuses) {
      switch (s.kind) {
        case StatusKind::Connected:
          if (!connected) {
            connected = true;
            std::string auth = R"({"action":"auth","params":")";
            auth += w.key.expose();
            auth += "\"}";
            if (auto wr = co_await stream.write(std::move(auth)); !wr) co_return fail(std::move(wr).error());
          }
          break;
        case StatusKind::AuthSuccess:
          if (!connected) {
            co_return fail(error(w, DisconnectReason::Protocol, "auth_success before connected"));
          }
          impl.visit([](auto& ws) { tcp_of(ws).expires_never(); });
          co_return Result<void, WsError>{};
        default:
          if (auto e = status_error(w, s)) co_return fail(std::move(*e));
          // auth_required or error during the handshake: the server refused our flow.
          if (s.kind == StatusKind::AuthRequired || s.kind == StatusKind::Error) {
            co_return fail(error(w, DisconnectReason::Protocol,
                                 "unexpected `" + s.status + "` during the handshake: " + s.message));
          }
          break;
      }
    }
  }
}

std::optional<WsError> status_error(const WsWorker& w, const StatusMessage& s) {
  switch (s.kind) {
    case StatusKind::AuthFailed:
      return error(w, DisconnectReason::AuthFailed, "authentication failed: " + s.message);
    case StatusKind::AuthTimeout:
      return error(w, DisconnectReason::AuthTimeout, "the server's auth_timeout: " + s.message);
    case StatusKind::MaxConnections:
      return error(w, DisconnectReason::MaxConnections,
                   "another client on this account connected to the cluster and the server closed this connection (" +
                       s.message + ")");
    case StatusKind::SlowConsumer:
      return error(w, DisconnectReason::SlowConsumer, "the server dropped the connection (" + s.message + ")");
    case StatusKind::ForceDisconnect:
      return error(w, DisconnectReason::ForceDisconnect, "the server forced the connection closed (" + s.message + ")");
    default:
      return std::nullopt;
  }
}

std::vector<std::string> subscribe_messages(std::string_view action, const std::vector<std::string>& channels,
                                            std::size_t chunk) {
  std::vector<std::string> out;
  chunk = std::max<std::size_t>(chunk, 1);
  for (std::size_t i = 0; i < channels.size(); i += chunk) {
    std::string m = R"({"action":")";
    m += action;
    m += R"(","params":")";
    for (std::size_t j = i; j < std::min(channels.size(), i + chunk); ++j) {
      if (j != i) m += ',';
      m += channels[j];
    }
    m += "\"}";
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace detail

asio::awaitable<Result<WebSocketStream, WsError>> connect_and_subscribe(const WsWorker& worker,
                                                                        std::vector<std::string> subs) {
  std::shared_ptr<asio::ssl::context> tls;
  if (worker.url.tls()) {
    auto ctx = co_await detail::make_tls_context(worker);
    if (!ctx) co_return fail(std::move(ctx).error());
    tls = std::move(*ctx);
  }
  auto stream = co_await detail::open_transport(worker, std::move(tls));
  if (!stream) co_return stream;
  if (auto a = co_await detail::authenticate(worker, *stream); !a) co_return fail(std::move(a).error());
  for (std::string& m : detail::subscribe_messages("subscribe", subs, worker.connection.subscribe_chunk_size)) {
    if (auto wr = co_await stream->write(std::move(m)); !wr) co_return fail(std::move(wr).error());
  }
  co_return stream;
}

// ---- WebSocketStream ----------------------------------------------------------------------------

WebSocketStream::WebSocketStream(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
WebSocketStream::WebSocketStream(WebSocketStream&&) noexcept = default;
WebSocketStream& WebSocketStream::operator=(WebSocketStream&&) noexcept = default;
WebSocketStream::~WebSocketStream() = default;

WsError detail::read_error(const WebSocketStream::Impl& impl, const beast::error_code& ec,
                           const websocket::close_reason& reason) {
  WsError e{DisconnectReason::Closed, impl.cluster, impl.shard, {}};
  if (ec == websocket::error::closed) {
    e.message = reason.reason.empty() ? "close frame " + std::to_string(reason.code) + " without reason"
                                      : "close code " + std::to_string(reason.code) + " \"" +
                                            std::string(reason.reason.data(), reason.reason.size()) + "\"";
  } else if (ec == beast::error::timeout) {
    e.message = "timed out";
  } else if (ec == asio::error::eof || ec == beast::http::error::end_of_stream) {
    e.message = "stream ended";
  } else if (ec == websocket::error::message_too_big || ec == websocket::error::buffer_overflow) {
    e.reason = DisconnectReason::Protocol;
    e.message = "a message larger than " + std::to_string(kMaxMessageBytes) + " bytes";
  } else {
    e.message = ec.message();
  }
  return e;
}

asio::awaitable<Result<void, WsError>> WebSocketStream::read(std::string& out) {
  out.clear();
  beast::flat_buffer buffer;
  beast::error_code ec;
  std::size_t n = 0;
  std::optional<websocket::close_reason> reason;
  co_await impl_->visit([&](auto& ws) -> asio::awaitable<void> {
    auto [e, bytes] = co_await ws.async_read(buffer, kNoThrow);
    ec = e;
    n = bytes;
    if (ec) reason = ws.reason();
  });
  (void)n;
  if (ec) co_return fail(detail::read_error(*impl_, ec, reason.value_or(websocket::close_reason{})));
  out = beast::buffers_to_string(buffer.cdata());
  co_return Result<void, WsError>{};
}

asio::awaitable<Result<void, WsError>> WebSocketStream::write(std::string text) {
  beast::error_code ec;
  co_await impl_->visit([&](auto& ws) -> asio::awaitable<void> {
    auto [e, n] = co_await ws.async_write(asio::buffer(text), kNoThrow);
    (void)n;
    ec = e;
  });
  if (ec) {
    co_return fail(WsError{DisconnectReason::Closed, impl_->cluster, impl_->shard, "write failed: " + ec.message()});
  }
  co_return Result<void, WsError>{};
}

asio::awaitable<void> WebSocketStream::close() {
  co_await impl_->visit([](auto& ws) -> asio::awaitable<void> {
    if (ws.is_open()) {
      detail::tcp_of(ws).expires_after(std::chrono::milliseconds(500));
      auto [ec] = co_await ws.async_close(websocket::close_code::normal, kNoThrow);
      (void)ec;
    }
    beast::error_code ignore;
    detail::tcp_of(ws).socket().close(ignore);
  });
}

}  // namespace ws_source
