// Copyright (c) James Kassemi, SC, US. All rights reserved.
//
// TLS: a loopback server with a self-signed certificate (a TLS proxy in front of massive-sim) is
// refused by default, refused under a name its certificate does not carry, and accepted once its
// CA is configured — through `connect_and_subscribe` and through the manager.

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <massive_sim/server.hpp>
#include <optional>
#include <ws_source/connection.hpp>
#include <ws_source/connection_manager.hpp>

#include "tls_proxy.hpp"

namespace ws_source {
namespace {

using namespace std::chrono_literals;

struct TlsFixture : ::testing::Test {
  void SetUp() override {
    const auto dir = std::filesystem::temp_directory_path() /
                     ("ws_source_tls_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
                      std::to_string(reinterpret_cast<std::uintptr_t>(this)));
    cert = test::TestCertificate::make(dir);
    ASSERT_FALSE(cert.cert.empty()) << "openssl could not make a test certificate";
    auto s = massive_sim::Server::start(massive_sim::SimConfig::for_tests());
    ASSERT_TRUE(s) << s.error();
    sim = std::move(*s);
    proxy = std::make_unique<test::TlsProxy>(cert, sim->port());
  }

  WsWorker worker(const std::string& host) const {
    WsWorker w;
    auto url = parse_url("wss://" + host + ":" + std::to_string(proxy->port()) + "/stocks");
    EXPECT_TRUE(url);
    w.url = *url;
    w.resource_type = ResourceType::EquityTrades;
    w.feeds = {ResourceType::EquityTrades};
    w.key = ApiKey(std::string(massive_sim::kDemoKey));
    w.connection.connect_timeout_ms = 3'000;
    w.connection.auth_timeout_ms = 3'000;
    return w;
  }

  /// Runs connect_and_subscribe to completion; on success also reads one message.
  static Result<std::string, WsError> connect(const WsWorker& w) {
    boost::asio::io_context io;
    std::optional<Result<std::string, WsError>> out;
    boost::asio::co_spawn(io, connect_and_read(w, &out), boost::asio::detached);
    io.run_for(10s);
    if (!out) return fail(WsError{DisconnectReason::Connect, Cluster::Stocks, 0, "the test timed out"});
    return std::move(*out);
  }

  static boost::asio::awaitable<void> connect_and_read(WsWorker w, std::optional<Result<std::string, WsError>>* out) {
    std::vector<std::string> subs;  // not an initializer list inside co_await: GCC 12 rejects that
    subs.emplace_back("T.*");
    auto r = co_await connect_and_subscribe(w, std::move(subs));
    if (!r) {
      out->emplace(fail(std::move(r).error()));
      co_return;
    }
    std::string msg;
    auto rd = co_await r->read(msg);
    if (rd) {
      out->emplace(std::move(msg));
    } else {
      out->emplace(fail(std::move(rd).error()));
    }
    co_await r->close();
  }

  test::TestCertificate cert;
  std::unique_ptr<massive_sim::Server> sim;
  std::unique_ptr<test::TlsProxy> proxy;
};

TEST_F(TlsFixture, ASelfSignedServerIsRefusedByDefault) {
  const auto r = connect(worker("localhost"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, DisconnectReason::Connect);
  EXPECT_NE(r.error().message.find("TLS handshake failed"), std::string::npos) << r.error().to_string();
  EXPECT_NE(r.error().message.find("certificate verify failed"), std::string::npos) << r.error().to_string();
  EXPECT_EQ(sim->counters().auth_success, 0U);
}

TEST_F(TlsFixture, ItsCaMakesItTrustedUnderItsName) {
  auto w = worker("localhost");
  w.tls.ca_file = cert.cert.string();
  const auto r = connect(w);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_NE(r->find("subscribed to: T.*"), std::string::npos) << *r;
  EXPECT_EQ(sim->counters().auth_success, 1U);
}

TEST_F(TlsFixture, AnotherNameIsRefusedEvenWithItsCa) {
  auto w = worker("127.0.0.1");  // the certificate names localhost only
  w.tls.ca_file = cert.cert.string();
  const auto r = connect(w);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("TLS handshake failed"), std::string::npos) << r.error().to_string();
}

TEST_F(TlsFixture, TheManagerConnectsOverTlsWithTheConfiguredCa) {
  WsConfig c;
  c.api_keys = {ApiKey(std::string(massive_sim::kDemoKey))};
  c.base_url = "wss://localhost:" + std::to_string(proxy->port());
  c.feeds.options_quotes.enabled = false;
  c.feeds.options_trades.enabled = false;
  c.feeds.equity_quotes.enabled = false;
  c.tls.ca_file = cert.cert.string();
  ConnectionManager manager(c);
  ASSERT_FALSE(manager.config_error()) << manager.config_error()->to_string();
  auto stream = manager.run();
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < deadline && manager.stats().workers.at(0).connects == 0) {
    (void)stream.next(10ms);
  }
  EXPECT_EQ(manager.stats().workers.at(0).connects, 1U);
  manager.stop();
  while (stream.next()) {
  }
}

}  // namespace
}  // namespace ws_source
