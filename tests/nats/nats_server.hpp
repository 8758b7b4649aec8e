// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

// A real nats-server for the NATS tests and the benchmark: a child process on 127.0.0.1, on a
// free port, with JetStream (`-js`) storing into a temporary directory it owns. It can be killed
// (SIGKILL), frozen (SIGSTOP / SIGCONT) and restarted on the same port and store, and is always
// stopped and its directory removed by the destructor.

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

namespace ws_source::test {

/// The nats-server binary: $WS_SOURCE_NATS_SERVER, else the one found at configure time
/// (WS_SOURCE_NATS_SERVER_PATH), else "nats-server" on PATH. Empty when none exists.
[[nodiscard]] std::string nats_server_binary();

/// A port on 127.0.0.1 nothing listened on a moment ago.
[[nodiscard]] std::uint16_t free_port();

class NatsServer {
 public:
  struct Options {
    bool jetstream{true};
  };
  /// Starts a server and waits (up to 10 s) until it accepts connections. nullptr and `error`
  /// set when it could not.
  [[nodiscard]] static std::unique_ptr<NatsServer> start(Options options, std::string& error);
  [[nodiscard]] static std::unique_ptr<NatsServer> start(std::string& error) { return start(Options{}, error); }
  ~NatsServer();
  NatsServer(const NatsServer&) = delete;
  NatsServer& operator=(const NatsServer&) = delete;

  [[nodiscard]] std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }
  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  [[nodiscard]] bool running() const noexcept { return pid_ > 0; }
  [[nodiscard]] const std::filesystem::path& dir() const noexcept { return dir_; }

  /// SIGKILL and reap: a crash, as far as clients and the store can tell.
  void kill_hard();
  /// SIGTERM and reap (a clean shutdown).
  void stop();
  /// SIGSTOP / SIGCONT: the server stays connected but answers nothing (a slow peer).
  void freeze();
  void thaw();
  /// Starts it again on the same port and store directory; false (and `error`) on failure.
  [[nodiscard]] bool restart(std::string& error);

 private:
  NatsServer() = default;
  [[nodiscard]] bool spawn(std::string& error);
  void reap(int signal);

  Options options_;
  std::uint16_t port_{0};
  pid_t pid_{-1};
  std::filesystem::path dir_;
};

}  // namespace ws_source::test
