// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

// A plain Beast WebSocket client for the simulator's conformance tests: no ws_source networking
// involved, so the tests check the server against the protocol, not against our own client.
// Every wait is bounded; a read that times out stays pending and completes on a later call.

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>
#include <ws_source/status.hpp>

namespace massive_sim::test {

using namespace std::chrono_literals;

/// What ended a client's connection.
struct Ending {
  bool closed{false};       ///< the connection is over
  bool close_frame{false};  ///< the server sent a close frame
  std::uint16_t close_code{0};
  std::string close_reason;
  std::string error;  ///< the read error's message (e.g. "Connection reset by peer", "end of stream")
  bool reset{false};  ///< ECONNRESET
};

class SimClient {
 public:
  /// Connects to ws://127.0.0.1:{port}{path} and completes the WebSocket handshake (within 2 s).
  SimClient(std::uint16_t port, std::string_view path);
  ~SimClient();
  SimClient(const SimClient&) = delete;
  SimClient& operator=(const SimClient&) = delete;

  [[nodiscard]] bool ok() const noexcept { return connect_error_.empty(); }
  [[nodiscard]] const std::string& connect_error() const noexcept { return connect_error_; }

  /// The next text message, or nullopt when none arrives within `timeout` or the connection ended.
  std::optional<std::string> read(std::chrono::milliseconds timeout = 2000ms);
  /// Sends a text message (within 2 s); false on error.
  bool send(std::string_view text);
  bool auth(std::string_view key);
  bool subscribe(std::string_view params);
  bool unsubscribe(std::string_view params);

  /// Reads until a status with this `status` value arrives (other frames are kept in `seen()`);
  /// returns it, or nullopt on timeout / end.
  std::optional<ws_source::StatusMessage> wait_status(std::string_view status,
                                                      std::chrono::milliseconds timeout = 2000ms);
  /// Reads `connected`, authenticates with `key`, waits for `auth_success`.
  bool login(std::string_view key);
  /// Sends a ping and reads (keeping frames) until its pong or `timeout`.
  bool ping_pong(std::chrono::milliseconds timeout);
  /// Reads until the connection ends or `timeout`; true when it ended.
  bool wait_closed(std::chrono::milliseconds timeout = 2000ms);
  [[nodiscard]] const Ending& ending() const noexcept { return ending_; }

  /// Every message read so far, in order.
  [[nodiscard]] const std::vector<std::string>& seen() const noexcept { return seen_; }
  /// Closes the connection from the client side (close frame), best effort.
  void close();

  /// The status messages of a frame (empty when it holds none or does not parse).
  static std::vector<ws_source::StatusMessage> statuses(const std::string& frame);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string connect_error_;
  Ending ending_;
  std::vector<std::string> seen_;
  std::size_t pongs_{0};
};

/// GET {path} with a WebSocket upgrade; returns the HTTP status code and body (0 on error).
std::pair<int, std::string> upgrade_status(std::uint16_t port, std::string_view path);

}  // namespace massive_sim::test
