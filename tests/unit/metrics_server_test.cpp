// Copyright (c) James Kassemi, SC, US. All rights reserved.
// MetricsServer over loopback (port 0): GET /metrics, the other statuses, an oversized request
// refused with a buffer of fixed size (the largest single allocation is measured by a replaced
// operator new: its own executable), slow and surplus clients closed, listen errors as values,
// the body function's thread and lifetime, clean stops on its own thread and on the host's
// io_context; parse_metrics_addr. Also: LatencyHistogram::record allocates nothing.
#include "ws_source/metrics_server.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cstdlib>
#include <initializer_list>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "counting_new.hpp"
#include "ws_source/metrics.hpp"

using namespace ws_source;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// Concatenation by append (GCC 12's -Wrestrict misfires on `"literal" + std::string`).
std::string cat(std::initializer_list<std::string_view> parts) {
  std::string s;
  for (const std::string_view p : parts) s.append(p);
  return s;
}

constexpr std::string_view kBody =
    "# HELP ws_source_x X.\n# TYPE ws_source_x gauge\nws_source_x{cluster=\"options\",shard=\"0\"} 1\n";

// A blocking loopback client whose reads give up after 5 s.
class Client {
 public:
  explicit Client(std::uint16_t port) : socket_(io_) {
    boost::system::error_code ec;
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
    EXPECT_FALSE(ec) << ec.message();
    timeval tv{5, 0};
    ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  bool send(std::string_view data) {
    boost::system::error_code ec;
    asio::write(socket_, asio::buffer(data), ec);
    return !ec;
  }
  // Everything until the server closes (or an error, or the 5 s timeout).
  std::string read_all(boost::system::error_code* error = nullptr) {
    std::string out;
    char buf[4096];
    for (;;) {
      boost::system::error_code ec;
      const std::size_t n = socket_.read_some(asio::buffer(buf), ec);
      out.append(buf, n);
      if (ec) {
        if (error != nullptr) *error = ec;
        return out;
      }
    }
  }

 private:
  asio::io_context io_;
  tcp::socket socket_;
};

std::string request(std::uint16_t port, std::string_view text, boost::system::error_code* error = nullptr) {
  Client c(port);
  c.send(text);
  return c.read_all(error);
}

struct Reply {
  int status{0};
  std::string head;
  std::string body;
};

Reply parse_reply(const std::string& r) {
  Reply p;
  const std::size_t end = r.find("\r\n\r\n");
  if (r.rfind("HTTP/1.1 ", 0) != 0 || end == std::string::npos) return p;
  p.status = std::stoi(r.substr(9, 3));
  p.head = r.substr(0, end + 2);
  p.body = r.substr(end + 4);
  return p;
}

Reply get(std::uint16_t port, std::string_view target = "/metrics") {
  return parse_reply(request(port, cat({"GET ", target, " HTTP/1.1\r\nHost: localhost\r\n\r\n"})));
}

bool has_header(const Reply& r, std::string_view line) {
  return r.head.find(cat({"\r\n", line, "\r\n"})) != std::string::npos;
}

MetricsServer::BodyFn fixed_body() {
  return [] { return std::string(kBody); };
}

// ---- serving ------------------------------------------------------------------------------------

TEST(MetricsServer, GetMetricsAnswers200WithTheBody) {
  std::atomic<std::thread::id> body_thread{};
  MetricsServer server([&] {
    body_thread = std::this_thread::get_id();
    return std::string(kBody);
  });
  EXPECT_EQ(server.port(), 0U);
  ASSERT_TRUE(server.listen("127.0.0.1", 0));
  ASSERT_NE(server.port(), 0U);
  EXPECT_TRUE(server.listening());
  const Reply r = get(server.port());
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, kBody);
  EXPECT_TRUE(has_header(r, "Content-Type: text/plain; version=0.0.4; charset=utf-8")) << r.head;
  EXPECT_TRUE(has_header(r, "Content-Length: " + std::to_string(kBody.size()))) << r.head;
  EXPECT_TRUE(has_header(r, "Connection: close")) << r.head;
  EXPECT_NE(body_thread.load(), std::thread::id{});
  EXPECT_NE(body_thread.load(), std::this_thread::get_id());  // the server's own thread
  // A query string, HTTP/1.0, a bare-LF client and leading blank lines are fine too.
  EXPECT_EQ(get(server.port(), "/metrics?name[]=x").status, 200);
  EXPECT_EQ(parse_reply(request(server.port(), "GET /metrics HTTP/1.0\r\n\r\n")).status, 200);
  EXPECT_EQ(parse_reply(request(server.port(), "GET /metrics HTTP/1.1\n\n")).body, kBody);
  EXPECT_EQ(parse_reply(request(server.port(), "\r\nGET /metrics HTTP/1.1\r\n\r\n")).status, 200);
  // HEAD: the headers of the GET, no body.
  const Reply head = parse_reply(request(server.port(), "HEAD /metrics HTTP/1.1\r\n\r\n"));
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(has_header(head, "Content-Length: " + std::to_string(kBody.size())));
  EXPECT_EQ(head.body, "");
}

TEST(MetricsServer, ARequestInPiecesIsAssembled) {
  MetricsServer server(fixed_body());
  ASSERT_TRUE(server.listen("127.0.0.1", 0));
  Client c(server.port());
  for (const std::string_view piece : {"GE", "T /met", "rics HTTP/1.1\r", "\nHost: x\r\n", "\r", "\n"}) {
    ASSERT_TRUE(c.send(piece));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(parse_reply(c.read_all()).body, kBody);
}

TEST(MetricsServer, OtherPathsMethodsAndVersions) {
  std::atomic<int> calls{0};
  MetricsServer server([&] {
    ++calls;
    return std::string(kBody);
  });
  ASSERT_TRUE(server.listen("127.0.0.1", 0));
  const std::uint16_t port = server.port();
  EXPECT_EQ(get(port, "/").status, 404);
  EXPECT_EQ(get(port, "/metrics/").status, 404);
  EXPECT_EQ(get(port, "/metricsx").status, 404);
  const Reply post = parse_reply(request(port, "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_EQ(post.status, 405);
  EXPECT_TRUE(has_header(post, "Allow: GET, HEAD")) << post.head;
  EXPECT_EQ(parse_reply(request(port, "GET /metrics HTTP/2.0\r\n\r\n")).status, 505);
  EXPECT_EQ(parse_reply(request(port, "GET /metrics\r\n\r\n")).status, 400);
  EXPECT_EQ(parse_reply(request(port, "GET  /metrics HTTP/1.1\r\n\r\n")).status, 400);
  EXPECT_EQ(parse_reply(request(port, "garbage\r\n\r\n")).status, 400);
  EXPECT_EQ(calls.load(), 0);  // the body is made only for GET/HEAD /metrics
  EXPECT_EQ(get(port).status, 200);
  EXPECT_EQ(calls.load(), 1);
}

TEST(MetricsServer, ABodyThatThrowsIs500AndTheServerGoesOn) {
  std::atomic<bool> fail{true};
  MetricsServer server([&]() -> std::string {
    if (fail) throw std::runtime_error("secret detail");
    return std::string(kBody);
  });
  ASSERT_TRUE(server.listen("127.0.0.1", 0));
  const Reply r = get(server.port());
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body.find("secret detail"), std::string::npos);  // the exception's text is not sent
  fail = false;
  EXPECT_EQ(get(server.port()).status, 200);
}

// ---- limits -------------------------------------------------------------------------------------

TEST(MetricsServer, AnOversizedRequestIsRefusedWithoutAllocatingItsSize) {
  MetricsServerOptions o;
  o.linger_bytes = 4 << 20;  // read the whole 1 MiB after the answer, so the 431 is not reset away
  MetricsServer server(fixed_body(), o);
  ASSERT_TRUE(server.listen("127.0.0.1", 0));
  std::string huge = "GET /metrics HTTP/1.1\r\nX-Big: ";
  huge.append(std::size_t{1} << 20, 'a');  // 1 MiB of header, never terminated
  g_largest = 0;
  g_allocations = 0;
  g_counting = true;  // from before the connection: the server's buffer for it is counted
  Client c(server.port());
  // The client's write of 1 MiB needs the server to read: write on another thread.
  std::thread writer([&] { c.send(huge); });
  boost::system::error_code ec;
  const std::string reply = c.read_all(&ec);
  writer.join();
  g_counting = false;
  EXPECT_EQ(parse_reply(reply).status, 431) << reply.substr(0, 200) << " / " << ec.message();
  // The counter saw the connection's request buffer (so it measures the server) ...
  EXPECT_GE(g_largest.load(), o.max_request_bytes);
  // ... and nothing grew with the request.
  EXPECT_LE(g_largest.load(), std::size_t{64} << 10) << "largest single allocation while serving";
  EXPECT_EQ(get(server.port()).status, 200);  // still serving
}

TEST(MetricsServer, AnOversizedRequestWithDefaultLimitsIsRefused) {
  MetricsServer server(fixed_body());
  ASSERT_TRUE(server.listen("127.0.0.1", 0));
  std::string huge = "GET /metrics HTTP/1.1\r\nX-Big: ";
  huge.append(std::size_t{4} << 20, 'a');
  Client c(server.port());
  std::thread writer([&] { c.send(huge); });  // fails once the server closes; that is fine
  const auto started = std::chrono::steady_clock::now();
  boost::system::error_code ec;
  const std::string reply = c.read_all(&ec);
  writer.join();
  // A 431, or a reset if the server closed with the rest unread; never the metrics, never a hang.
  EXPECT_TRUE(reply.empty() || parse_reply(reply).status == 431) << reply.substr(0, 200);
  EXPECT_EQ(reply.find("ws_source_x"), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(4));
  EXPECT_EQ(get(server.port()).status, 200);
}

TEST(MetricsServer, AnIdleClientIsClosedAfterTheTimeout) {
  MetricsServerOptions o;
  o.timeout = std::chrono::milliseconds(200);
  MetricsServer server(fixed_body(), o);
  ASSERT_TRUE(server.listen("127.0.0.1", 0));
  Client idle(server.port());
  idle.send("GET /metr");  // and then nothing
  const auto started = std::chrono::steady_clock::now();
  boost::system::error_code ec;
  EXPECT_EQ(idle.read_all(&ec), "");
  EXPECT_EQ(ec, asio::error::eof) << ec.message();  // closed by the server, not our 5 s timeout
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_GE(took, std::chrono::milliseconds(150));
  EXPECT_LT(took, std::chrono::seconds(3));
  EXPECT_EQ(get(server.port()).status, 200);
}

TEST(MetricsServer, ConnectionsBeyondTheLimitAreClosedAtOnce) {
  MetricsServerOptions o;
  o.max_connections = 2;
  o.timeout = std::chrono::milliseconds(300);
  MetricsServer server(fixed_body(), o);
  ASSERT_TRUE(server.listen("127.0.0.1", 0));
  Client a(server.port());
  Client b(server.port());
  Client extra(server.port());
  const auto started = std::chrono::steady_clock::now();
  boost::system::error_code ec;
  EXPECT_EQ(extra.read_all(&ec), "");
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(250));  // before a and b time out
  EXPECT_EQ(a.read_all(), "");                                                            // these two time out
  EXPECT_EQ(b.read_all(), "");
  EXPECT_EQ(get(server.port()).status, 200);  // their slots are free again
}

// ---- listen -------------------------------------------------------------------------------------

TEST(MetricsServer, ListenErrorsAreValues) {
  MetricsServer first(fixed_body());
  ASSERT_TRUE(first.listen("127.0.0.1", 0));

  MetricsServer second(fixed_body());
  auto in_use = second.listen("127.0.0.1", first.port());
  ASSERT_FALSE(in_use);
  EXPECT_EQ(in_use.error().kind, MetricsServerError::Kind::AddressInUse);
  EXPECT_NE(in_use.error().message.find("127.0.0.1:" + std::to_string(first.port()) + " is already in use"),
            std::string::npos)
      << in_use.error();
  EXPECT_FALSE(second.listening());
  EXPECT_EQ(second.port(), 0U);

  auto bad = second.listen("not-an-ip", 0);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind, MetricsServerError::Kind::BadAddress);
  EXPECT_NE(bad.error().message.find("not-an-ip"), std::string::npos);

  auto foreign = second.listen("192.0.2.1", 0);  // TEST-NET-1: not an address of this machine
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().kind, MetricsServerError::Kind::BadAddress) << foreign.error();

  ASSERT_TRUE(second.listen("127.0.0.1", 0));  // the failures left it able to listen
  auto twice = second.listen("127.0.0.1", 0);
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().kind, MetricsServerError::Kind::AlreadyListening);

  second.stop();
  auto after = second.listen("127.0.0.1", 0);
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().kind, MetricsServerError::Kind::Stopped);
}

TEST(MetricsServer, ListensOnIpv6LoopbackWhenAvailable) {
  MetricsServer server(fixed_body());
  auto r = server.listen(MetricsEndpoint{"::1", 0});
  if (!r && r.error().kind == MetricsServerError::Kind::BadAddress) GTEST_SKIP() << "no IPv6 loopback here";
  ASSERT_TRUE(r) << r.error();
  EXPECT_NE(server.port(), 0U);
}

// ---- stopping -----------------------------------------------------------------------------------

TEST(MetricsServer, StopFreesThePortAndReleasesTheBody) {
  auto captured = std::make_shared<int>(1);
  std::uint16_t port = 0;
  {
    MetricsServer server([captured] { return std::to_string(*captured); });
    ASSERT_TRUE(server.listen("127.0.0.1", 0));
    port = server.port();
    EXPECT_EQ(get(port).body, "1");
    EXPECT_EQ(captured.use_count(), 2);
    server.stop();
    EXPECT_FALSE(server.listening());
    EXPECT_EQ(captured.use_count(), 1);  // the body function is gone
    server.stop();                       // idempotent
  }
  MetricsServer again(fixed_body());
  EXPECT_TRUE(again.listen("127.0.0.1", port)) << "the port is free after stop()";
}

TEST(MetricsServer, StopWaitsForABodyInProgressAndNoneStartsAfter) {
  std::atomic<bool> in_body{false};
  std::atomic<int> calls{0};
  MetricsServer server([&] {
    ++calls;
    in_body = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    in_body = false;
    return std::string(kBody);
  });
  ASSERT_TRUE(server.listen("127.0.0.1", 0));
  const std::uint16_t port = server.port();
  std::thread client([port] { static_cast<void>(request(port, "GET /metrics HTTP/1.1\r\n\r\n")); });
  while (!in_body) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  server.stop();
  EXPECT_FALSE(in_body.load());  // stop() returned after the call ended
  client.join();
  EXPECT_EQ(calls.load(), 1);
  asio::io_context io;
  tcp::socket late(io);
  boost::system::error_code ec;
  late.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  EXPECT_EQ(ec, asio::error::connection_refused) << "nothing listens after stop()";
  EXPECT_EQ(calls.load(), 1);
}

TEST(MetricsServer, OnTheHostsIoContext) {
  asio::io_context io;
  std::atomic<std::thread::id> body_thread{};
  MetricsServer server(io, [&] {
    body_thread = std::this_thread::get_id();
    return std::string(kBody);
  });
  ASSERT_TRUE(server.listen("127.0.0.1", 0));
  std::thread runner([&io] { io.run(); });
  const Reply r = get(server.port());
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, kBody);
  EXPECT_EQ(body_thread.load(), runner.get_id());  // called on the thread running the host's io_context
  server.stop();
  runner.join();  // the server left no work behind: run() returned
}

// ---- parse_metrics_addr -------------------------------------------------------------------------

TEST(ParseMetricsAddr, Accepted) {
  const auto ok = [](std::string_view text) {
    auto r = parse_metrics_addr(text);
    EXPECT_TRUE(r) << text << ": " << (r ? "" : r.error().message);
    return r ? *r : std::optional<MetricsEndpoint>{MetricsEndpoint{"?", 1}};
  };
  EXPECT_EQ(ok("127.0.0.1:9898"), (MetricsEndpoint{"127.0.0.1", 9898}));
  EXPECT_EQ(ok(kDefaultMetricsAddr), (MetricsEndpoint{"127.0.0.1", 9898}));
  EXPECT_EQ(ok(":9898"), (MetricsEndpoint{"127.0.0.1", 9898}));  // loopback, not every interface
  EXPECT_EQ(ok("localhost:80"), (MetricsEndpoint{"127.0.0.1", 80}));
  EXPECT_EQ(ok("0.0.0.0:0"), (MetricsEndpoint{"0.0.0.0", 0}));
  EXPECT_EQ(ok("[::1]:9898"), (MetricsEndpoint{"::1", 9898}));
  EXPECT_EQ(ok("[::]:65535"), (MetricsEndpoint{"::", 65535}));
  EXPECT_EQ(ok("off"), std::nullopt);
  EXPECT_EQ(ok("OFF"), std::nullopt);
  EXPECT_EQ((MetricsEndpoint{"::1", 9898}).to_string(), "[::1]:9898");
  EXPECT_EQ((MetricsEndpoint{"127.0.0.1", 9898}).to_string(), "127.0.0.1:9898");
}

TEST(ParseMetricsAddr, RefusedWithAClearError) {
  const auto err = [](std::string_view text) {
    auto r = parse_metrics_addr(text);
    EXPECT_FALSE(r) << text;
    if (r) return std::string();
    EXPECT_EQ(r.error().kind, MetricsServerError::Kind::BadAddress);
    EXPECT_NE(r.error().message.find(cat({"'", text, "'"})), std::string::npos) << r.error();
    return r.error().message;
  };
  EXPECT_NE(err("").find("expected HOST:PORT"), std::string::npos);
  EXPECT_NE(err("9898").find("expected HOST:PORT"), std::string::npos);
  EXPECT_NE(err("127.0.0.1").find("expected HOST:PORT"), std::string::npos);
  EXPECT_NE(err("127.0.0.1:").find("0 to 65535"), std::string::npos);
  EXPECT_NE(err("127.0.0.1:65536").find("0 to 65535"), std::string::npos);
  EXPECT_NE(err("127.0.0.1:99999999").find("0 to 65535"), std::string::npos);
  EXPECT_NE(err("127.0.0.1:http").find("0 to 65535"), std::string::npos);
  EXPECT_NE(err("127.0.0.1:-1").find("0 to 65535"), std::string::npos);
  EXPECT_NE(err("::1:9898").find("brackets"), std::string::npos);
  EXPECT_NE(err("[127.0.0.1]:9898").find("IPv6"), std::string::npos);
  EXPECT_NE(err("[::1]9898").find("expected HOST:PORT"), std::string::npos);
  EXPECT_NE(err("example.com:9898").find("not an IP address"), std::string::npos);
  EXPECT_NE(err("300.1.1.1:9898").find("not an IP address"), std::string::npos);
  EXPECT_NE(err("of").find("expected HOST:PORT"), std::string::npos);
}

// ---- the histogram's hot path -------------------------------------------------------------------

TEST(LatencyHistogramAllocations, RecordAllocatesNothing) {
  LatencyHistogram h;
  g_allocations = 0;
  g_counting = true;
  for (std::int64_t i = 0; i < 100'000; ++i) h.record(i * 997);
  g_counting = false;
  EXPECT_EQ(g_allocations.load(), 0U);
  EXPECT_EQ(h.snapshot().count, 100'000U);
}

}  // namespace
