// Copyright (c) James Kassemi, SC, US. All rights reserved.
//
// The fault proxy itself, on loopback: it forwards both ways, and each fault does what it says
// (cut, reset, stall half-open, drip, corrupt, delay, refuse both ways), with its counters; a
// client that goes is noticed at once whatever its bytes wait for; a client that stops reading
// stops the proxy reading from the server (bounded buffers); and a corrupted byte on a live
// WebSocket stream from massive-sim is caught by ws-source. Every wait is bounded (the clients'
// timeouts, `eventually`), and the servers end whatever the test did.

#include "fault_proxy.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <massive_sim/server.hpp>
#include <memory>
#include <string>
#include <thread>
#include <vector>
#include <ws_source/connection_manager.hpp>

#include "../integration/live_support.hpp"

namespace ws_source::chaos {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
using asio::ip::tcp;

/// An upstream server on its own io thread (asynchronous, so that the destructor can end every
/// operation it has outstanding: a blocking accept() or read() on another thread is not woken by
/// closing its socket): echoes what it reads (`firehose` false), or writes 64 KiB chunks without
/// end and counts the bytes the kernel took (`firehose` true).
class Upstream {
 public:
  explicit Upstream(bool firehose)
      : firehose_(firehose), acceptor_(io_, tcp::endpoint(asio::ip::address_v4::loopback(), 0)) {
    port_ = acceptor_.local_endpoint().port();
    accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~Upstream() {
    // Closed on the io thread; every outstanding operation then ends (operation_aborted), none is
    // started again, and run() returns once it is out of work.
    asio::post(io_, [this] {
      boost::system::error_code ignored;
      acceptor_.close(ignored);
      for (auto& s : sessions_) s->sock.close(ignored);
      sessions_.clear();
    });
    if (thread_.joinable()) thread_.join();
  }
  Upstream(const Upstream&) = delete;
  Upstream& operator=(const Upstream&) = delete;
  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] std::uint64_t written() const { return written_.load(); }
  [[nodiscard]] std::uint64_t read() const { return read_.load(); }
  /// Connections that ended (EOF or an error read or written), and those of them reset by the peer.
  [[nodiscard]] std::uint64_t ended() const { return ended_.load(); }
  [[nodiscard]] std::uint64_t resets() const { return resets_.load(); }

 private:
  struct Session {
    explicit Session(asio::io_context& io) : sock(io) {}
    tcp::socket sock;
    std::array<char, 4096> buf{};
  };
  void accept() {
    auto s = std::make_shared<Session>(io_);
    acceptor_.async_accept(s->sock, [this, s](boost::system::error_code ec) {
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
        accept();
        return;
      }
      sessions_.push_back(s);
      firehose_ ? hose(s) : echo(s);
      accept();
    });
  }
  void echo(const std::shared_ptr<Session>& s) {
    s->sock.async_read_some(asio::buffer(s->buf), [this, s](boost::system::error_code ec, std::size_t n) {
      read_ += n;
      if (ec) return end(*s, ec);
      asio::async_write(s->sock, asio::buffer(s->buf.data(), n), [this, s](boost::system::error_code wec, std::size_t) {
        if (wec) return end(*s, wec);
        echo(s);
      });
    });
  }
  void hose(const std::shared_ptr<Session>& s) {
    s->sock.async_write_some(asio::buffer(chunk_), [this, s](boost::system::error_code ec, std::size_t n) {
      written_ += n;
      if (ec) return end(*s, ec);
      hose(s);
    });
  }
  void end(Session& s, boost::system::error_code ec) {
    if (ec == asio::error::operation_aborted) return;  // closed by the destructor
    ++ended_;
    if (ec == asio::error::connection_reset) ++resets_;
    boost::system::error_code ignored;
    s.sock.close(ignored);
  }
  bool firehose_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::uint16_t port_{0};
  const std::string chunk_ = std::string(64 * 1024, 'x');
  std::atomic<std::uint64_t> written_{0}, read_{0}, ended_{0}, resets_{0};
  std::vector<std::shared_ptr<Session>> sessions_;  ///< io thread only
  std::thread thread_;
};

/// A blocking POSIX client whose every call is bounded: a receive timeout (`timeout`, changed with
/// `set_timeout`) and a send (and connect) timeout of 5 s, so that a test whose expectation fails
/// ends instead of blocking on a peer that will never read or write.
class Client {
 public:
  explicit Client(std::uint16_t port, std::chrono::milliseconds timeout = 2000ms) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    set_timeout(timeout);
    set_option(SO_SNDTIMEO, kSendTimeout);  // bounds connect() too
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0;
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~Client() { close(); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  void set_timeout(std::chrono::milliseconds t) { set_option(SO_RCVTIMEO, t); }
  [[nodiscard]] bool connected() const { return connected_; }
  bool send(const std::string& s) {
    return ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size());
  }
  /// One recv: > 0 bytes, 0 on EOF, -1 with `last_errno()` (EAGAIN: the timeout passed).
  ssize_t recv_some(std::string& out, std::size_t max = 65536) {
    out.resize(max);
    const ssize_t n = ::recv(fd_, out.data(), max, 0);
    errno_ = n < 0 ? errno : 0;
    out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    return n;
  }
  [[nodiscard]] int last_errno() const { return errno_; }
  /// Reads until `n` bytes arrived, EOF, an error or the timeout.
  std::string recv_n(std::size_t n) {
    std::string all, part;
    while (all.size() < n && recv_some(part, n - all.size()) > 0) all += part;
    return all;
  }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  static constexpr std::chrono::milliseconds kSendTimeout{5000};
  void set_option(int name, std::chrono::milliseconds t) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(t.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((t.count() % 1000) * 1000);
    ::setsockopt(fd_, SOL_SOCKET, name, &tv, sizeof tv);
  }
  int fd_{-1};
  bool connected_{false};
  int errno_{0};
};

std::unique_ptr<FaultProxy> proxy_to(std::uint16_t port) {
  auto p = FaultProxy::start("127.0.0.1", port);
  EXPECT_TRUE(p) << (p ? "" : p.error());
  return p ? std::move(*p) : nullptr;
}

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 3000ms) {
  return test::eventually(pred, timeout);
}

TEST(FaultProxy, ForwardsBothWaysAndKeepsTheRequestLine) {
  Upstream echo(false);
  auto proxy = proxy_to(echo.port());
  ASSERT_TRUE(proxy);
  Client c(proxy->port());
  ASSERT_TRUE(c.connected());
  const std::string request = "GET /options HTTP/1.1\r\nHost: x\r\n\r\n";  // 34 bytes
  ASSERT_TRUE(c.send(request));
  EXPECT_EQ(c.recv_n(request.size()), request);
  std::string big(1 << 20, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  std::thread writer([&] { EXPECT_TRUE(c.send(big)); });
  EXPECT_EQ(c.recv_n(big.size()), big);
  writer.join();
  // The client can read the last bytes a moment before the proxy's io thread counts them.
  const std::uint64_t total = request.size() + big.size();
  EXPECT_TRUE(eventually([&] {
    const auto n = proxy->counters();
    return n.bytes_up == total && n.bytes_down == total;
  }));
  const auto counters = proxy->counters();
  EXPECT_EQ(counters.accepted, 1U);
  EXPECT_EQ(counters.live, 1U);
  EXPECT_EQ(counters.bytes_up, total);
  EXPECT_EQ(counters.bytes_down, total);
  const auto conns = proxy->connections();
  ASSERT_EQ(conns.size(), 1U);
  EXPECT_EQ(conns[0].request_line, "GET /options HTTP/1.1");
  EXPECT_NE(conns[0].upstream_local_port, 0U);
  c.close();
  EXPECT_TRUE(eventually([&] { return proxy->counters().live == 0; }));
}

TEST(FaultProxy, CutClosesAndResetResetsOnlyTheMatchingConnections) {
  Upstream echo(false);
  auto proxy = proxy_to(echo.port());
  ASSERT_TRUE(proxy);
  Client a(proxy->port()), b(proxy->port()), r(proxy->port());
  std::string got;
  ASSERT_TRUE(a.send("GET /stocks\r\n"));
  ASSERT_TRUE(b.send("GET /options\r\n"));
  ASSERT_TRUE(r.send("GET /reset-me\r\n"));
  ASSERT_EQ(a.recv_n(13), "GET /stocks\r\n");
  ASSERT_EQ(b.recv_n(14), "GET /options\r\n");
  ASSERT_EQ(r.recv_n(15), "GET /reset-me\r\n");
  EXPECT_EQ(proxy->cut("/nothing"), 0U);
  EXPECT_EQ(proxy->cut("/stocks"), 1U);
  EXPECT_EQ(a.recv_some(got), 0) << "EOF";
  EXPECT_TRUE(eventually([&] { return echo.ended() == 1; })) << "and the upstream's socket closed too";
  EXPECT_EQ(echo.resets(), 0U) << "closed, not reset";
  ASSERT_TRUE(b.send("still"));
  EXPECT_EQ(b.recv_n(5), "still") << "the other connection goes on";
  EXPECT_EQ(proxy->cut("/reset-me", true), 1U);
  EXPECT_EQ(r.recv_some(got), -1);
  EXPECT_EQ(r.last_errno(), ECONNRESET);
  EXPECT_TRUE(eventually([&] { return echo.resets() == 1; })) << "the upstream is reset too";
  EXPECT_EQ(echo.ended(), 2U);
  const auto counters = proxy->counters();
  EXPECT_EQ(counters.fault(ProxyFault::Cut), 1U);
  EXPECT_EQ(counters.fault(ProxyFault::Reset), 1U);
  EXPECT_EQ(counters.live, 1U);
  std::size_t seen = 0;
  for (const auto& info : proxy->connections()) {
    const auto cuts = info.faults[static_cast<std::size_t>(ProxyFault::Cut)];
    const auto resets = info.faults[static_cast<std::size_t>(ProxyFault::Reset)];
    if (info.request_line == "GET /stocks") {
      ++seen;
      EXPECT_EQ(cuts, 1U);
      EXPECT_EQ(resets, 0U);
      EXPECT_FALSE(info.open);
    }
    if (info.request_line == "GET /options") {
      ++seen;
      EXPECT_EQ(cuts + resets, 0U);
      EXPECT_TRUE(info.open);
    }
    if (info.request_line == "GET /reset-me") {
      ++seen;
      EXPECT_EQ(cuts, 0U);
      EXPECT_EQ(resets, 1U);
      EXPECT_FALSE(info.open);
    }
  }
  EXPECT_EQ(seen, 3U);
}

TEST(FaultProxy, AStallForwardsNothingKeepsTheSocketsOpenAndResumes) {
  Upstream echo(false);
  auto proxy = proxy_to(echo.port());
  ASSERT_TRUE(proxy);
  Client c(proxy->port(), 300ms);
  ASSERT_TRUE(c.send("GET /x\r\n"));
  ASSERT_EQ(c.recv_n(8), "GET /x\r\n");
  ASSERT_EQ(proxy->stall("", 0ns), 1U);
  ASSERT_TRUE(c.send("ping"));
  std::string got;
  EXPECT_EQ(c.recv_some(got), -1) << "nothing forwarded";
  EXPECT_EQ(c.last_errno(), EAGAIN);
  EXPECT_EQ(proxy->connections()[0].bytes_up, 8U) << "the client's bytes are held, not forwarded";
  EXPECT_EQ(echo.read(), 8U);
  EXPECT_EQ(proxy->counters().live, 1U) << "half-open: still open";
  EXPECT_TRUE(proxy->connections()[0].stalled);
  EXPECT_EQ(proxy->unstall(""), 1U);
  c.set_timeout(2000ms);
  EXPECT_EQ(c.recv_n(4), "ping") << "the bytes held are forwarded once the stall ends";
  ASSERT_TRUE(c.send("pong"));
  EXPECT_EQ(c.recv_n(4), "pong");

  // A timed stall during which the client goes: noticed at once, and the connection ends with the
  // stall, not before (the upstream is left half-open meanwhile).
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(proxy->stall("", 800ms), 1U);
  c.close();
  ASSERT_TRUE(eventually([&] { return !proxy->connections()[0].client_open; }, 500ms));
  EXPECT_EQ(proxy->counters().live, 1U) << "the upstream side stays half-open while stalled";
  EXPECT_EQ(echo.ended(), 0U);
  EXPECT_TRUE(eventually([&] { return proxy->counters().live == 0; }));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 750ms) << "ended with the stall";
  EXPECT_TRUE(eventually([&] { return echo.ended() == 1; })) << "and the upstream closed";
  EXPECT_EQ(proxy->counters().fault(ProxyFault::Stall), 2U);
}

TEST(FaultProxy, AClientThatGoesIsNoticedAtOnceWhateverItsBytesAreWaitingFor) {
  // A chunk of the client's waiting for its delay when a stall starts, or being dripped: the
  // client is still read, so that its close is seen now (not when the stall or the drip ends: a
  // client that reconnects meanwhile must not look like two sockets open at once).
  Upstream echo(false);
  auto proxy = proxy_to(echo.port());
  ASSERT_TRUE(proxy);
  {
    Client c(proxy->port());
    ASSERT_TRUE(c.send("GET /delayed\r\n"));
    ASSERT_EQ(c.recv_n(14), "GET /delayed\r\n");
    ASSERT_EQ(proxy->delay("/delayed", 5s, 200ms), 1U);
    ASSERT_TRUE(c.send("x"));  // in its 200 ms when the stall starts
    ASSERT_EQ(proxy->stall("/delayed", 3s), 1U);
    std::this_thread::sleep_for(300ms);
  }
  const auto closed = [&](const std::string& line) {
    for (const auto& info : proxy->connections()) {
      if (info.request_line == line) return !info.client_open;
    }
    return false;
  };
  EXPECT_TRUE(eventually([&] { return closed("GET /delayed"); }, 1000ms)) << "seen before the stall ends";
  {
    Client c(proxy->port());
    ASSERT_TRUE(c.send("GET /dripped\r\n"));
    ASSERT_EQ(c.recv_n(14), "GET /dripped\r\n");
    ASSERT_EQ(proxy->drip("/dripped", 5s, 20ms), 1U);
    ASSERT_TRUE(c.send(std::string(200, 'd')));  // 4 s of drip
    std::string got;
    ASSERT_GT(c.recv_some(got), 0) << "dripping";
  }
  EXPECT_TRUE(eventually([&] { return closed("GET /dripped"); }, 1000ms)) << "seen before the drip ends";
  EXPECT_TRUE(eventually([&] { return proxy->counters().live == 1; }, 1000ms)) << "the dripped one ended";
  EXPECT_EQ(proxy->cut(""), 1U) << "the stalled one";
  EXPECT_EQ(proxy->counters().live, 0U);
}

TEST(FaultProxy, DripForwardsOneByteAtATimeForItsDuration) {
  Upstream echo(false);
  auto proxy = proxy_to(echo.port());
  ASSERT_TRUE(proxy);
  Client c(proxy->port());
  ASSERT_TRUE(c.send("GET /x\r\n"));
  ASSERT_EQ(c.recv_n(8), "GET /x\r\n");
  // 20 ms a byte for 400 ms: about 20 bytes one at a time, then the rest at once.
  ASSERT_EQ(proxy->drip("", 400ms, 20ms), 1U);
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(c.send(std::string(200, 'd')));
  std::string part;
  ASSERT_GT(c.recv_some(part), 0);
  EXPECT_EQ(part.size(), 1U) << "the first byte alone";
  std::string rest;
  std::size_t reads = 0;
  while (rest.size() < 199 && c.recv_some(part, 199 - rest.size()) > 0) {
    rest += part;
    ++reads;
  }
  EXPECT_EQ(rest, std::string(199, 'd'));
  EXPECT_GE(reads, 5U) << "in many pieces";
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 350ms) << "dripped for about the duration";
  // After the drip, at full speed.
  const auto t1 = std::chrono::steady_clock::now();
  ASSERT_TRUE(c.send(std::string(200, 'e')));
  EXPECT_EQ(c.recv_n(200), std::string(200, 'e'));
  EXPECT_LT(std::chrono::steady_clock::now() - t1, 1000ms) << "dripped, 200 bytes take 4 s";
  EXPECT_EQ(proxy->counters().fault(ProxyFault::Drip), 1U);
}

TEST(FaultProxy, CorruptFlipsTheLastByteOfTheNextDownstreamChunkOnly) {
  Upstream echo(false);
  auto proxy = proxy_to(echo.port());
  ASSERT_TRUE(proxy);
  Client c(proxy->port());
  ASSERT_TRUE(c.send("GET /x\r\n"));
  ASSERT_EQ(c.recv_n(8), "GET /x\r\n");
  ASSERT_EQ(proxy->corrupt(""), 1U);
  ASSERT_TRUE(c.send("[1,2]"));
  const std::string got = c.recv_n(5);
  ASSERT_EQ(got.size(), 5U);
  EXPECT_EQ(got.substr(0, 4), "[1,2");
  EXPECT_EQ(static_cast<unsigned char>(got[4]), static_cast<unsigned char>(']') ^ 0x80U);
  ASSERT_TRUE(c.send("[3]"));
  EXPECT_EQ(c.recv_n(3), "[3]") << "one chunk only";
  EXPECT_EQ(proxy->counters().fault(ProxyFault::Corrupt), 1U);
}

TEST(FaultProxy, DelayAddsLatencyToEachChunkForItsDuration) {
  Upstream echo(false);
  auto proxy = proxy_to(echo.port());
  ASSERT_TRUE(proxy);
  Client c(proxy->port());
  ASSERT_TRUE(c.send("GET /x\r\n"));
  ASSERT_EQ(c.recv_n(8), "GET /x\r\n");
  ASSERT_EQ(proxy->delay("", 500ms, 100ms), 1U);
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(c.send("slow"));
  EXPECT_EQ(c.recv_n(4), "slow");
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 190ms) << "100 ms each way";
  std::this_thread::sleep_for(500ms);
  const auto t1 = std::chrono::steady_clock::now();
  ASSERT_TRUE(c.send("fast"));
  EXPECT_EQ(c.recv_n(4), "fast");
  EXPECT_LT(std::chrono::steady_clock::now() - t1, 190ms) << "delayed, the round trip takes 200 ms";
  EXPECT_EQ(proxy->counters().fault(ProxyFault::Delay), 1U);
}

TEST(FaultProxy, RefuseAcceptsAndClosesOrStopsAcceptingForItsDuration) {
  Upstream echo(false);
  auto proxy = proxy_to(echo.port());
  ASSERT_TRUE(proxy);
  Client old(proxy->port());
  ASSERT_TRUE(old.send("GET /old\r\n"));
  ASSERT_EQ(old.recv_n(10), "GET /old\r\n");

  proxy->refuse(RefuseMode::AcceptAndClose, 300ms);
  {
    Client c(proxy->port());
    std::string got;
    EXPECT_EQ(c.recv_some(got), 0) << "accepted and closed";
  }
  ASSERT_TRUE(old.send("ok"));
  EXPECT_EQ(old.recv_n(2), "ok") << "open connections are untouched";
  std::this_thread::sleep_for(350ms);
  {
    Client c(proxy->port());
    ASSERT_TRUE(c.send("GET /new\r\n"));
    EXPECT_EQ(c.recv_n(10), "GET /new\r\n");
  }

  proxy->refuse(RefuseMode::StopAccepting, 400ms);
  const auto t0 = std::chrono::steady_clock::now();
  Client waiting(proxy->port(), 3000ms);
  ASSERT_TRUE(waiting.connected()) << "the kernel's backlog takes it";
  ASSERT_TRUE(waiting.send("GET /late\r\n"));
  EXPECT_EQ(waiting.recv_n(11), "GET /late\r\n");
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 300ms) << "served only once the refusal ended";
  const auto counters = proxy->counters();
  EXPECT_EQ(counters.fault(ProxyFault::Refuse), 2U);
  EXPECT_EQ(counters.refused, 1U);
}

TEST(FaultProxy, AClientThatStopsReadingStopsTheProxyReadingTheServer) {
  Upstream hose(true);
  auto proxy = proxy_to(hose.port());
  ASSERT_TRUE(proxy);
  Client c(proxy->port());
  ASSERT_TRUE(c.send("GET /x\r\n"));
  std::string got;
  ASSERT_GT(c.recv_some(got), 0);
  // Not reading: the kernel buffers fill, then the proxy stops reading and the server blocks.
  std::uint64_t last = 0;
  ASSERT_TRUE(eventually(
      [&] {
        const std::uint64_t now = hose.written();
        const bool still = now == last;
        last = now;
        std::this_thread::sleep_for(200ms);
        return still && hose.written() == now;
      },
      5000ms));
  const auto counters = proxy->counters();
  // What the server wrote sits in four kernel buffers and at most one 16 KiB chunk of ours.
  EXPECT_LE(hose.written() - counters.bytes_down, 16U << 20U);
  EXPECT_LE(counters.bytes_down, 16U << 20U);
  // And reading again drains it all.
  ASSERT_GT(c.recv_some(got), 0);
}

TEST(FaultProxy, ACorruptedWebSocketFrameFromTheSimulatorIsCaught) {
  auto sim = test::start_sim(test::busy_sim(5'000));
  ASSERT_TRUE(sim);
  auto proxy = proxy_to(sim->port());
  ASSERT_TRUE(proxy);
  auto cfg = test::config_for(*sim);
  cfg.base_url = "ws://127.0.0.1:" + std::to_string(proxy->port());
  test::Events events;
  ConnectionManager manager(cfg);
  manager.on_event(std::ref(events));
  BatchStream stream = manager.run();
  std::thread consumer([&] {
    while (auto lease = stream.next()) {
    }
  });
  // However the test ends (a failed ASSERT returns early): the manager stopped, so that the stream
  // ends, and the consumer joined.
  struct StopAndJoin {
    ConnectionManager& manager;
    std::thread& consumer;
    ~StopAndJoin() {
      manager.stop();
      if (consumer.joinable()) consumer.join();
    }
  } stop_and_join{manager, consumer};
  const auto connected = [&](Cluster c) { return events.count(ConnectionEvent::Kind::Connected, c); };
  ASSERT_TRUE(eventually([&] { return connected(Cluster::Stocks) == 1 && connected(Cluster::Options) == 1; }));
  std::this_thread::sleep_for(200ms);
  ASSERT_EQ(proxy->corrupt("/stocks"), 1U);
  // Caught: the connection ends (invalid UTF-8 in a text frame, or a bad frame header: flipping
  // the high bit of an ASCII byte never leaves valid UTF-8) and comes back, reporting its gap; or
  // the frame is rejected by the parser. Either way the stream goes on.
  const auto worker = [&](Cluster c) {
    for (const auto& w : manager.stats().workers) {
      if (w.cluster == c) return w;
    }
    return WorkerStats{};
  };
  const auto stocks = [&] { return worker(Cluster::Stocks); };
  EXPECT_TRUE(eventually([&] { return stocks().disconnects + stocks().parse_errors >= 1; }, 5000ms));
  if (stocks().disconnects >= 1) {
    EXPECT_TRUE(eventually([&] { return connected(Cluster::Stocks) >= 2; }, 5000ms));
    const auto again = events.of(ConnectionEvent::Kind::Connected, Cluster::Stocks);
    ASSERT_GE(again.size(), 2U);
    EXPECT_TRUE(again[1].gap.has_value()) << "the reconnection reports its gap";
  }
  const auto before = stocks().rows_delivered;
  EXPECT_TRUE(eventually([&] { return stocks().rows_delivered > before + 100; }, 5000ms)) << "and it goes on";
  // Aimed at /stocks only: the options connection saw nothing of it.
  EXPECT_EQ(worker(Cluster::Options).disconnects, 0U);
  EXPECT_EQ(worker(Cluster::Options).parse_errors, 0U);
  EXPECT_EQ(proxy->counters().fault(ProxyFault::Corrupt), 1U);
  bool first_stocks = true;
  for (const auto& info : proxy->connections()) {  // by id: the first stocks connection was the one open
    const bool is_stocks = info.request_line.find("/stocks") != std::string::npos;
    EXPECT_EQ(info.faults[static_cast<std::size_t>(ProxyFault::Corrupt)], is_stocks && first_stocks ? 1U : 0U)
        << info.request_line;
    if (is_stocks) first_stocks = false;
  }
}

}  // namespace
}  // namespace ws_source::chaos
