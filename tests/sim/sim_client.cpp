// Copyright (c) James Kassemi, SC, US. All rights reserved.
#include "sim_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <ws_source/parse.hpp>

namespace massive_sim::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using asio::ip::tcp;

namespace {
/// The result of one asynchronous operation; shared with its handler, which may run after the
/// call that started it timed out.
struct Op {
  bool done{false};
  beast::error_code ec;
};
}  // namespace

struct SimClient::Impl {
  asio::io_context ioc;
  websocket::stream<beast::tcp_stream> ws{ioc};
  beast::flat_buffer buffer;
  bool read_pending{false};
  bool read_done{false};
  beast::error_code read_ec;
  std::size_t pongs{0};

  /// Runs the io_context until `done()` or the timeout.
  template <class Done>
  void run_until(Done done, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) break;
      ioc.restart();
      ioc.run_one_for(deadline - now);
    }
  }
};

SimClient::SimClient(std::uint16_t port, std::string_view path) : impl_(std::make_unique<Impl>()) {
  auto& tcp_stream = beast::get_lowest_layer(impl_->ws);
  tcp_stream.expires_after(std::chrono::seconds(2));
  auto op = std::make_shared<Op>();
  tcp_stream.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), [op](beast::error_code e) {
    op->ec = e;
    op->done = true;
  });
  impl_->run_until([&] { return op->done; }, 3s);
  if (!op->done || op->ec) {
    connect_error_ = "connect: " + (op->done ? op->ec.message() : std::string("timed out"));
    return;
  }
  op = std::make_shared<Op>();
  impl_->ws.async_handshake("127.0.0.1:" + std::to_string(port), std::string(path), [op](beast::error_code e) {
    op->ec = e;
    op->done = true;
  });
  impl_->run_until([&] { return op->done; }, 3s);
  if (!op->done || op->ec) {
    connect_error_ = "handshake: " + (op->done ? op->ec.message() : std::string("timed out"));
    return;
  }
  tcp_stream.expires_never();
  impl_->ws.control_callback([impl = impl_.get()](websocket::frame_type kind, beast::string_view) {
    if (kind == websocket::frame_type::pong) ++impl->pongs;
  });
}

SimClient::~SimClient() {
  beast::error_code ec;
  beast::get_lowest_layer(impl_->ws).socket().close(ec);
}

std::optional<std::string> SimClient::read(std::chrono::milliseconds timeout) {
  if (!ok() || ending_.closed) return std::nullopt;
  Impl& i = *impl_;
  if (!i.read_pending) {
    i.read_pending = true;
    i.read_done = false;
    i.ws.async_read(i.buffer, [&i](beast::error_code ec, std::size_t) {
      i.read_ec = ec;
      i.read_done = true;
    });
  }
  i.run_until([&i] { return i.read_done; }, timeout);
  if (!i.read_done) return std::nullopt;
  i.read_pending = false;
  if (i.read_ec) {
    ending_.closed = true;
    ending_.error = i.read_ec.message();
    ending_.reset = i.read_ec == asio::error::connection_reset;
    if (i.read_ec == websocket::error::closed) {
      ending_.close_frame = true;
      ending_.close_code = static_cast<std::uint16_t>(i.ws.reason().code);
      ending_.close_reason = std::string(i.ws.reason().reason.data(), i.ws.reason().reason.size());
    }
    return std::nullopt;
  }
  std::string text = beast::buffers_to_string(i.buffer.data());
  i.buffer.consume(i.buffer.size());
  seen_.push_back(text);
  return text;
}

bool SimClient::send(std::string_view text) {
  if (!ok()) return false;
  Impl& i = *impl_;
  auto op = std::make_shared<Op>();
  auto buf = std::make_shared<std::string>(text);
  i.ws.text(true);
  i.ws.async_write(asio::buffer(*buf), [op, buf](beast::error_code e, std::size_t) {
    op->ec = e;
    op->done = true;
  });
  i.run_until([&] { return op->done; }, 2s);
  return op->done && !op->ec;
}

bool SimClient::auth(std::string_view key) { return send(R"({"action":"auth","params":")" + std::string(key) + "\"}"); }
bool SimClient::subscribe(std::string_view params) {
  return send(R"({"action":"subscribe","params":")" + std::string(params) + "\"}");
}
bool SimClient::unsubscribe(std::string_view params) {
  return send(R"({"action":"unsubscribe","params":")" + std::string(params) + "\"}");
}

std::vector<ws_source::StatusMessage> SimClient::statuses(const std::string& frame) {
  ws_source::Parser parser;
  ws_source::ParsedFrame out;
  auto ctx = ws_source::FrameContext::now();
  ctx.max_future_skew_ns = std::nullopt;
  if (!parser.parse(std::span<const char>(frame.data(), frame.size()), ctx, out)) return {};
  return out.statuses;
}

std::optional<ws_source::StatusMessage> SimClient::wait_status(std::string_view status,
                                                               std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    auto frame = read(left);
    if (!frame) {
      if (ending_.closed) return std::nullopt;
      continue;
    }
    for (auto& s : statuses(*frame)) {
      if (s.status == status) return s;
    }
  }
}

bool SimClient::login(std::string_view key) {
  return wait_status("connected") && auth(key) && wait_status("auth_success");
}

bool SimClient::ping_pong(std::chrono::milliseconds timeout) {
  Impl& i = *impl_;
  const std::size_t before = i.pongs;
  auto op = std::make_shared<Op>();
  i.ws.async_ping({}, [op](beast::error_code) { op->done = true; });
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  // Pongs are seen by the control callback, which runs only inside a read: keep one pending and
  // stop at the pong, or take the message it completed with.
  while (i.pongs == before && !ending_.closed) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    if (!i.read_pending) {
      i.read_pending = true;
      i.read_done = false;
      i.ws.async_read(i.buffer, [&i](beast::error_code ec, std::size_t) {
        i.read_ec = ec;
        i.read_done = true;
      });
    }
    i.run_until([&] { return i.pongs > before || i.read_done; }, left);
    if (i.read_done) (void)read(0ms);
  }
  // A ping stuck behind a stalled socket must not run on after this call returns.
  i.run_until([&] { return op->done; }, 10ms);
  return i.pongs > before;
}

bool SimClient::wait_closed(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!ending_.closed) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    (void)read(left);
  }
  return ending_.closed;
}

void SimClient::close() {
  Impl& i = *impl_;
  auto op = std::make_shared<Op>();
  i.ws.async_close(websocket::close_code::normal, [op](beast::error_code) { op->done = true; });
  i.run_until([&] { return op->done || i.read_done; }, 500ms);
}

std::pair<int, std::string> upgrade_status(std::uint16_t port, std::string_view path) {
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  beast::error_code ec;
  stream.expires_after(std::chrono::seconds(2));
  stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  if (ec) return {0, ec.message()};
  http::request<http::empty_body> req{http::verb::get, std::string(path), 11};
  req.set(http::field::host, "127.0.0.1");
  req.set(http::field::upgrade, "websocket");
  req.set(http::field::connection, "Upgrade");
  req.set(http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
  req.set(http::field::sec_websocket_version, "13");
  http::write(stream, req, ec);
  if (ec) return {0, ec.message()};
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res, ec);
  if (ec) return {0, ec.message()};
  return {static_cast<int>(res.result_int()), res.body()};
}

}  // namespace massive_sim::test
