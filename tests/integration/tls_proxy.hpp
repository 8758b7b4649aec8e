// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

// A TLS-terminating proxy on loopback for the TLS tests: accepts TLS with a certificate made for
// the test (self-signed, for `localhost`), and pipes the bytes to and from a plain TCP port (the
// simulator). Runs on its own thread.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

namespace ws_source::test {

/// A key and a self-signed certificate for `localhost` only (not 127.0.0.1), written by the openssl
/// command into `dir`. Empty paths when openssl failed.
struct TestCertificate {
  std::filesystem::path cert;
  std::filesystem::path key;
  static TestCertificate make(const std::filesystem::path& dir);
};

class TlsProxy {
 public:
  /// Listens on 127.0.0.1 (any free port) and forwards to 127.0.0.1:`target_port`.
  TlsProxy(const TestCertificate& cert, std::uint16_t target_port);
  ~TlsProxy();
  TlsProxy(const TlsProxy&) = delete;
  TlsProxy& operator=(const TlsProxy&) = delete;

  [[nodiscard]] std::uint16_t port() const noexcept;
  /// TLS handshakes that failed (a client that refused our certificate, say).
  [[nodiscard]] std::uint64_t failed_handshakes() const noexcept;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace ws_source::test
