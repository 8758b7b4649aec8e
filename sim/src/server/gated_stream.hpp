// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

// A stream layer between Beast's websocket and the TCP stream that can hold all I/O: while
// stalled, reads and writes wait at the gate, so nothing is sent (not even the pongs Beast answers
// pings with inside a read) and nothing is read, while the socket stays open: a half-open peer.
// Only used from the session's strand.

#include <boost/asio/async_result.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/websocket/teardown.hpp>
#include <chrono>
#include <utility>

namespace massive_sim {

template <class NextLayer>
class GatedStream {
 public:
  using next_layer_type = NextLayer;
  using executor_type = typename NextLayer::executor_type;

  explicit GatedStream(NextLayer next) : next_(std::move(next)), gate_(next_.get_executor()) {
    gate_.expires_at(std::chrono::steady_clock::time_point::max());
  }

  executor_type get_executor() noexcept { return next_.get_executor(); }
  NextLayer& next_layer() noexcept { return next_; }
  const NextLayer& next_layer() const noexcept { return next_; }

  [[nodiscard]] bool stalled() const noexcept { return stalled_; }
  void stall() noexcept { stalled_ = true; }
  /// Opens the gate: waiting operations go on (also used before a hard close, so they fail fast).
  void unstall() {
    stalled_ = false;
    gate_.cancel();
  }

  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return boost::asio::async_compose<Token, void(boost::beast::error_code, std::size_t)>(
        Op<MutableBuffers, true>{*this, buffers}, token, next_);
  }

  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return boost::asio::async_compose<Token, void(boost::beast::error_code, std::size_t)>(
        Op<ConstBuffers, false>{*this, buffers}, token, next_);
  }

 private:
  template <class Buffers, bool IsRead>
  struct Op {
    GatedStream& s;
    Buffers buffers;
    bool started{false};

    template <class Self>
    void operator()(Self& self, boost::beast::error_code ec = {}, std::size_t n = 0) {
      if (started) {
        self.complete(ec, n);
        return;
      }
      if (s.stalled_) {
        s.gate_.async_wait(std::move(self));  // resumes here, with the gate re-checked
        return;
      }
      started = true;
      if constexpr (IsRead) {
        s.next_.async_read_some(buffers, std::move(self));
      } else {
        s.next_.async_write_some(buffers, std::move(self));
      }
    }
  };

  NextLayer next_;
  boost::asio::steady_timer gate_;
  bool stalled_{false};
};

// Beast's websocket tears its next layer down through these (found by argument-dependent lookup).
template <class NextLayer>
void teardown(boost::beast::role_type role, GatedStream<NextLayer>& s, boost::beast::error_code& ec) {
  using boost::beast::websocket::teardown;
  teardown(role, s.next_layer(), ec);
}

template <class NextLayer, class Handler>
void async_teardown(boost::beast::role_type role, GatedStream<NextLayer>& s, Handler&& handler) {
  using boost::beast::websocket::async_teardown;
  async_teardown(role, s.next_layer(), std::forward<Handler>(handler));
}

}  // namespace massive_sim
