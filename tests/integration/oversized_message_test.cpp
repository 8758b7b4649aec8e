// Copyright (c) James Kassemi, SC, US. All rights reserved.
// A hostile or broken server cannot make ws-source allocate what it announces. A raw WebSocket
// server of this file (loopback, no Beast: it writes the frame headers itself) takes three
// connections in turn:
//   1. after auth and subscribe, a text frame whose header announces 1 TiB;
//   2. a text message of 64 MiB in 1 MiB fragments (each frame small, the message too big);
//   3. a well-formed connection that sends trades.
// The client must end connections 1 and 2 with a Protocol error naming the limit (16 MiB, the
// `read_message_max` of src/net/handshake.hpp), reconnect, and deliver the trades of 3; and the
// largest single allocation of the whole process (a replaced operator new: this is its own
// executable, never run under a sanitizer) stays below twice the limit, far from the 64 MiB
// and the 1 TiB the server announced.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>
#include <ws_source/connection_manager.hpp>
#include <ws_source/timestamp.hpp>

#include "counting_new.hpp"
#include "live_support.hpp"

namespace ws_source {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using boost::system::error_code;

constexpr std::size_t kLimit = std::size_t{16} << 20U;  // src/net/handshake.hpp kMaxMessageBytes

/// The header of a server frame (unmasked) with `len` payload bytes.
std::string frame_header(std::uint8_t opcode, bool fin, std::uint64_t len) {
  std::string h;
  h.push_back(static_cast<char>((fin ? 0x80U : 0U) | opcode));
  if (len < 126) {
    h.push_back(static_cast<char>(len));
  } else if (len <= 0xFFFFU) {
    h.push_back(static_cast<char>(126));
    h.push_back(static_cast<char>(len >> 8U));
    h.push_back(static_cast<char>(len & 0xFFU));
  } else {
    h.push_back(static_cast<char>(127));
    for (int shift = 56; shift >= 0; shift -= 8) {
      h.push_back(static_cast<char>((len >> static_cast<unsigned>(shift)) & 0xFFU));
    }
  }
  return h;
}

std::string accept_key(const std::string& key) {
  const std::string in = key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  std::array<unsigned char, SHA_DIGEST_LENGTH> digest{};
  SHA1(reinterpret_cast<const unsigned char*>(in.data()), in.size(), digest.data());
  std::array<unsigned char, 64> out{};
  const int n = EVP_EncodeBlock(out.data(), digest.data(), static_cast<int>(digest.size()));
  return {reinterpret_cast<const char*>(out.data()), static_cast<std::size_t>(n)};
}

/// One blocking server-side WebSocket connection (the test's thread only).
class RawConnection {
 public:
  explicit RawConnection(tcp::socket s) : socket_(std::move(s)) {}

  /// The HTTP upgrade; false if the client went away.
  bool upgrade() {
    asio::streambuf buf;
    error_code ec;
    asio::read_until(socket_, buf, "\r\n\r\n", ec);
    if (ec) return false;
    const std::string request(asio::buffers_begin(buf.data()), asio::buffers_end(buf.data()));
    const std::string name = "Sec-WebSocket-Key: ";
    const auto at = request.find(name);
    if (at == std::string::npos) return false;
    const auto end = request.find("\r\n", at);
    const std::string key = request.substr(at + name.size(), end - at - name.size());
    std::string response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n";
    response += "Sec-WebSocket-Accept: ";
    response += accept_key(key);
    response += "\r\n\r\n";
    return send(response);
  }

  bool send(const std::string& bytes) {
    error_code ec;
    asio::write(socket_, asio::buffer(bytes), ec);
    return !ec;
  }
  bool send_text(const std::string& payload) { return send(frame_header(0x1, true, payload.size()) + payload); }

  /// The payload of the next client text frame (pings and pongs are skipped); empty on error.
  std::string read_text() {
    for (;;) {
      std::array<unsigned char, 2> h{};
      error_code ec;
      asio::read(socket_, asio::buffer(h), ec);
      if (ec) return {};
      std::uint64_t len = h[1] & 0x7FU;
      if (len >= 126) {
        std::array<unsigned char, 8> ext{};
        const std::size_t n = len == 126 ? 2 : 8;
        asio::read(socket_, asio::buffer(ext.data(), n), ec);
        if (ec) return {};
        len = 0;
        for (std::size_t i = 0; i < n; ++i) len = (len << 8U) | ext[i];
      }
      std::array<unsigned char, 4> mask{};
      if ((h[1] & 0x80U) != 0) asio::read(socket_, asio::buffer(mask), ec);
      std::string payload(len, '\0');
      asio::read(socket_, asio::buffer(payload), ec);
      if (ec) return {};
      for (std::size_t i = 0; i < payload.size(); ++i) {
        payload[i] = static_cast<char>(static_cast<unsigned char>(payload[i]) ^ mask[i % 4]);
      }
      const unsigned opcode = h[0] & 0x0FU;
      if (opcode == 0x1) return payload;
      if (opcode == 0x8) return {};  // close
    }
  }

  /// Massive's status flow, up to the first subscribe message.
  bool authenticate() {
    if (!upgrade()) return false;
    if (!send_text(R"([{"ev":"status","status":"connected","message":"Connected Successfully"}])")) return false;
    if (read_text().find(R"("action":"auth")") == std::string::npos) return false;
    if (!send_text(R"([{"ev":"status","status":"auth_success","message":"authenticated"}])")) return false;
    return read_text().find(R"("action":"subscribe")") != std::string::npos;
  }

  /// Waits (bounded) until the client closes the connection.
  void drain() {
    std::array<char, 4096> sink{};
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    socket_.non_blocking(true);
    while (std::chrono::steady_clock::now() < deadline) {
      error_code ec;
      socket_.read_some(asio::buffer(sink), ec);
      if (ec == asio::error::would_block) {
        std::this_thread::sleep_for(5ms);
      } else if (ec) {
        return;
      }
    }
  }

 private:
  tcp::socket socket_;
};

/// The three-connection script on a thread of its own.
class HostileServer {
 public:
  HostileServer() : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    thread_ = std::thread([this] { run(); });
  }
  HostileServer(const HostileServer&) = delete;
  HostileServer& operator=(const HostileServer&) = delete;
  ~HostileServer() {
    done_ = true;
    error_code ec;
    acceptor_.close(ec);
    if (thread_.joinable()) thread_.join();
  }
  [[nodiscard]] std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::atomic<int> scripts_done{0};
  std::atomic<bool> fragments_refused{false};  ///< the client stopped the 64 MiB message early

 private:
  void run() {
    for (int n = 0; n < 3 && !done_; ++n) {
      error_code ec;
      tcp::socket s(io_);
      acceptor_.accept(s, ec);
      if (ec) return;
      RawConnection c(std::move(s));
      if (!c.authenticate()) continue;
      if (n == 0) {
        // 1 TiB announced, a few bytes sent.
        c.send(frame_header(0x1, true, std::uint64_t{1} << 40U) + std::string(1024, ' '));
        c.drain();
      } else if (n == 1) {
        // 64 MiB in 1 MiB fragments: each frame is small, the message is not.
        const std::string fragment(std::size_t{1} << 20U, ' ');
        bool all_sent = true;
        for (int i = 0; i < 64 && all_sent; ++i) {
          const std::uint8_t opcode = i == 0 ? 0x1 : 0x0;
          all_sent =
              c.send(frame_header(opcode, i == 63, fragment.size()) + (i == 0 ? "[" + fragment.substr(1) : fragment));
        }
        fragments_refused = !all_sent;
        c.drain();
      } else {
        for (int i = 0; i < 400 && !done_; ++i) {
          const std::int64_t t_ms = now_ns() / 1'000'000;
          if (!c.send_text(R"([{"ev":"T","sym":"AAPL","x":4,"i":")" + std::to_string(i + 1) +
                           R"(","z":3,"p":229.87,"s":100,"c":[12],"t":)" + std::to_string(t_ms) + R"(,"q":)" +
                           std::to_string(i + 1) + "}]")) {
            break;
          }
          std::this_thread::sleep_for(5ms);
        }
      }
      ++scripts_done;
    }
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

TEST(OversizedMessages, AreProtocolErrorsNotAllocationsOfTheirSize) {
  HostileServer server;
  WsConfig cfg;
  cfg.api_keys = {ApiKey("oversize-test-key")};
  cfg.base_url = "ws://127.0.0.1:" + std::to_string(server.port());
  cfg.feeds.options_quotes = FeedConfig{false, {}, false};
  cfg.feeds.options_trades = FeedConfig{false, {}, false};
  cfg.feeds.equity_quotes = FeedConfig{false, {}, false};
  cfg.feeds.equity_trades = FeedConfig::all();
  cfg.connection.connect_timeout_ms = 2'000;
  cfg.connection.auth_timeout_ms = 2'000;
  cfg.backoff.initial_ms = 50;
  cfg.backoff.max_ms = 200;
  cfg.backoff.jitter = 0.0;

  test::Events events;
  ConnectionManager manager(cfg);
  ASSERT_FALSE(manager.config_error()) << manager.config_error()->to_string();
  manager.on_event(std::ref(events));
  g_largest = 0;
  g_counting = true;
  BatchStream stream = manager.run();
  std::uint64_t rows = 0;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (rows < 10 && std::chrono::steady_clock::now() < deadline) {
    if (auto lease = stream.next(100ms)) {
      rows += (**lease).rows.size();
    }
  }
  g_counting = false;
  manager.stop();

  EXPECT_GE(rows, 10U) << "the third, well-formed connection delivers its trades";
  std::vector<std::string> protocol_errors;
  for (const auto& e : events.of(ConnectionEvent::Kind::Disconnected, Cluster::Stocks)) {
    if (e.error && e.error->reason == DisconnectReason::Protocol) protocol_errors.push_back(e.error->message);
  }
  ASSERT_EQ(protocol_errors.size(), 2U) << "one per oversized message";
  for (const std::string& m : protocol_errors) {
    EXPECT_NE(m.find("larger than " + std::to_string(kLimit) + " bytes"), std::string::npos) << m;
  }
  EXPECT_TRUE(server.fragments_refused) << "the client closed before the 64 MiB message was through";
  EXPECT_LT(g_largest.load(), 2 * kLimit + (std::size_t{1} << 20U))
      << "largest single allocation while 1 TiB and 64 MiB messages were announced";
  std::cout << "largest single allocation: " << g_largest.load() << " bytes (limit " << kLimit << ")\n";
}

}  // namespace
}  // namespace ws_source
