// Copyright (c) James Kassemi, SC, US. All rights reserved.
//
// massive-sim's conformance to Massive's protocol (DESIGN section 4), driven by a plain Beast
// client on loopback: the status flow, auth and its timeout, acknowledgements, wildcards, the
// options-quote limit, max_connections per cluster per key, ping/pong, data frames and the
// ground truth.

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <massive_sim/server.hpp>
#include <set>
#include <string>
#include <thread>
#include <ws_source/parse.hpp>

#include "sim_client.hpp"

namespace massive_sim::test {
namespace {

using ws_source::StatusKind;

std::unique_ptr<Server> start(SimConfig cfg = SimConfig::for_tests()) {
  auto s = Server::start(std::move(cfg));
  EXPECT_TRUE(s) << (s ? "" : s.error());
  return s ? std::move(*s) : nullptr;
}

/// Reads frames for `d`, returning the rows of every data frame (frames must parse).
std::vector<ws_source::TradeOrNbbo> read_rows(SimClient& c, std::chrono::milliseconds d) {
  std::vector<ws_source::TradeOrNbbo> rows;
  ws_source::Parser parser;
  ws_source::ParsedFrame out;
  const auto deadline = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < deadline) {
    auto f = c.read(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
    if (!f) continue;
    auto r = parser.parse(std::span<const char>(f->data(), f->size()), ws_source::FrameContext::now(), out);
    EXPECT_TRUE(r) << (r ? "" : r.error().message());
    for (auto& b : out.batches) rows.insert(rows.end(), b.rows.begin(), b.rows.end());
  }
  return rows;
}

std::string row_symbol(const ws_source::TradeOrNbbo& row) {
  return std::visit([](const auto& r) { return std::string(r.symbol.view()); }, row);
}

TEST(SimProtocol, ConnectedThenAuthSuccessOnBothClustersAndDelayed) {
  auto sim = start();
  for (const char* path : {"/stocks", "/options", "/delayed/stocks", "/delayed/options"}) {
    SimClient c(sim->port(), path);
    ASSERT_TRUE(c.ok()) << path << ": " << c.connect_error();
    auto connected = c.wait_status("connected");
    ASSERT_TRUE(connected) << path;
    EXPECT_EQ(connected->message, "Connected Successfully");
    ASSERT_TRUE(c.auth(kDemoKey));
    auto ok = c.wait_status("auth_success");
    ASSERT_TRUE(ok) << path;
    EXPECT_EQ(ok->kind, StatusKind::AuthSuccess);
    EXPECT_EQ(ok->message, "authenticated");
  }
  EXPECT_EQ(sim->counters().auth_success, 4U);
}

TEST(SimProtocol, UnknownPathIs404WithItsName) {
  auto sim = start();
  const auto [code, body] = upgrade_status(sim->port(), "/crypto");
  EXPECT_EQ(code, 404);
  EXPECT_EQ(body, "unknown cluster path: /crypto");
  EXPECT_TRUE(sim->wait_until(1s, [](const CounterSnapshot& c) { return c.handshakes_rejected == 1; }));
}

TEST(SimProtocol, BadKeyIsAuthFailedThenClose) {
  auto sim = start();
  SimClient c(sim->port(), "/stocks");
  ASSERT_TRUE(c.wait_status("connected"));
  ASSERT_TRUE(c.auth("not-the-key"));
  auto failed = c.wait_status("auth_failed");
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->message, "authentication failed");
  ASSERT_TRUE(c.wait_closed());
  EXPECT_TRUE(c.ending().close_frame);
  EXPECT_EQ(c.ending().close_code, 1008);
  EXPECT_EQ(c.ending().close_reason, "auth_failed");
  EXPECT_EQ(sim->counters().auth_failed, 1U);
  // The key is never logged.
  for (const auto& r : sim->command_log()) EXPECT_EQ(r.params, "<redacted>");
}

TEST(SimProtocol, NoAuthInTimeIsAuthTimeoutThenClose) {
  auto sim = start();  // auth timeout 200 ms
  SimClient c(sim->port(), "/options");
  ASSERT_TRUE(c.wait_status("connected"));
  auto t = c.wait_status("auth_timeout", 3000ms);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->message, "authentication timeout");
  EXPECT_TRUE(c.wait_closed());
  EXPECT_EQ(sim->counters().auth_timeouts, 1U);
}

TEST(SimProtocol, SubscribeBeforeAuthIsAuthRequiredAndTheConnectionStays) {
  auto sim = start();
  SimClient c(sim->port(), "/stocks");
  ASSERT_TRUE(c.wait_status("connected"));
  ASSERT_TRUE(c.subscribe("T.AAPL"));
  auto r = c.wait_status("auth_required");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->message, "authentication required");
  ASSERT_TRUE(c.auth(kDemoKey));
  EXPECT_TRUE(c.wait_status("auth_success"));
  EXPECT_EQ(sim->counters().auth_required, 1U);
}

TEST(SimProtocol, SecondAuthInvalidMessageAndUnknownActionAreErrors) {
  auto sim = start();
  SimClient c(sim->port(), "/stocks");
  ASSERT_TRUE(c.login(kDemoKey));
  ASSERT_TRUE(c.auth(kDemoKey));
  auto again = c.wait_status("error");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->message, "already authenticated");
  ASSERT_TRUE(c.send("{not json"));
  auto bad = c.wait_status("error");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->message, "invalid message");
  ASSERT_TRUE(c.send(R"({"action":"dance","params":""})"));
  auto unknown = c.wait_status("error");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->message, "unknown action: dance");
  EXPECT_EQ(sim->counters().invalid_messages, 2U);
}

TEST(SimProtocol, OneAckFramePerCommandWithEveryChannel) {
  auto sim = start();
  SimClient c(sim->port(), "/stocks");
  ASSERT_TRUE(c.login(kDemoKey));
  ASSERT_TRUE(c.subscribe("T.AAPL, Q.AAPL,AM.AAPL,bogus"));
  std::optional<std::string> frame;
  for (int i = 0; i < 20 && !frame; ++i) {
    auto f = c.read(1000ms);
    if (f && !SimClient::statuses(*f).empty()) frame = f;
  }
  ASSERT_TRUE(frame);
  const auto acks = SimClient::statuses(*frame);
  ASSERT_EQ(acks.size(), 4U);
  EXPECT_EQ(acks[0].kind, StatusKind::Subscribed);
  EXPECT_EQ(acks[0].channel, "T.AAPL");
  EXPECT_EQ(acks[1].channel, "Q.AAPL");
  EXPECT_EQ(acks[2].channel, "AM.AAPL");  // acknowledged, never fed
  EXPECT_EQ(acks[3].kind, StatusKind::Error);
  EXPECT_EQ(acks[3].message, "invalid subscription: bogus");
  ASSERT_TRUE(c.unsubscribe("T.AAPL,T.MSFT"));
  auto u = c.wait_status("success");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->message, "unsubscribed to: T.AAPL");
  const auto conns = sim->connections();
  ASSERT_EQ(conns.size(), 1U);
  EXPECT_EQ(conns[0].subscriptions, (std::vector<std::string>{"AM.AAPL", "Q.AAPL"}));
}

TEST(SimProtocol, OptionsQuotesRefuseTheWildcardAndStopAtTheLimit) {
  auto cfg = SimConfig::for_tests();
  cfg.options_quote_limit = 3;
  auto sim = start(cfg);
  std::vector<std::string> contracts;
  sim->with_market([&](Market& m) {
    for (std::size_t i = 0; i < 5; ++i) contracts.emplace_back(m.contracts()[i].symbol);
  });
  SimClient c(sim->port(), "/options");
  ASSERT_TRUE(c.login(kDemoKey));
  ASSERT_TRUE(c.subscribe("Q.*"));
  auto w = c.wait_status("error");
  ASSERT_TRUE(w);
  EXPECT_EQ(w->message, "wildcard subscriptions are not allowed for options quotes: Q.*");
  std::string params;
  for (const auto& s : contracts) params += (params.empty() ? "Q." : ",Q.") + s;
  ASSERT_TRUE(c.subscribe(params));
  std::vector<ws_source::StatusMessage> acks;
  while (acks.size() < 5) {
    auto f = c.read(2000ms);
    ASSERT_TRUE(f);
    for (auto& s : SimClient::statuses(*f)) acks.push_back(s);
  }
  for (int i = 0; i < 3; ++i) EXPECT_EQ(acks[i].kind, StatusKind::Subscribed) << i;
  EXPECT_EQ(acks[3].message, "subscription limit exceeded: Q." + contracts[3]);
  EXPECT_EQ(acks[4].message, "subscription limit exceeded: Q." + contracts[4]);
  // Re-subscribing one held channel is acknowledged and not counted twice; freeing one makes room.
  ASSERT_TRUE(c.unsubscribe("Q." + contracts[0]));
  ASSERT_TRUE(c.wait_status("success"));
  ASSERT_TRUE(c.subscribe("Q." + contracts[1] + ",Q." + contracts[3]));
  auto f = c.wait_status("success");
  ASSERT_TRUE(f);
  EXPECT_EQ(sim->connections()[0].subscriptions.size(), 3U);
  // A lowered limit applies to new subscriptions.
  sim->set_options_quote_limit(1);
  ASSERT_TRUE(c.subscribe("Q." + contracts[4]));
  auto e = c.wait_status("error");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message, "subscription limit exceeded: Q." + contracts[4]);
}

TEST(SimProtocol, TheThousandthOptionQuoteIsTheLast) {
  auto sim = start();  // the default limit, 1,000
  std::string params;
  std::vector<std::string> contracts;
  sim->with_market([&](Market& m) {
    for (std::size_t i = 0; i < 1001; ++i) contracts.emplace_back(m.contracts()[i].symbol);
  });
  for (const auto& s : contracts) params += (params.empty() ? "Q." : ",Q.") + s;
  SimClient c(sim->port(), "/options");
  ASSERT_TRUE(c.login(kDemoKey));
  ASSERT_TRUE(c.subscribe(params));
  std::vector<ws_source::StatusMessage> acks;
  while (acks.size() < 1001) {
    auto f = c.read(2000ms);
    ASSERT_TRUE(f);
    for (auto& s : SimClient::statuses(*f)) acks.push_back(s);
  }
  EXPECT_EQ(std::count_if(acks.begin(), acks.end(), [](auto& s) { return s.kind == StatusKind::Subscribed; }), 1000);
  EXPECT_EQ(acks.back().message, "subscription limit exceeded: Q." + contracts.back());
}

TEST(SimProtocol, UnentitledClusterIsNotAuthorized) {
  auto cfg = SimConfig::for_tests();
  cfg.entitled_options = false;
  auto sim = start(cfg);
  SimClient c(sim->port(), "/options");
  ASSERT_TRUE(c.login(kDemoKey));
  ASSERT_TRUE(c.subscribe("T.*"));
  auto e = c.wait_status("error");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message, "not authorized");
  SimClient s(sim->port(), "/stocks");
  ASSERT_TRUE(s.login(kDemoKey));
  ASSERT_TRUE(s.subscribe("T.*"));
  EXPECT_TRUE(s.wait_status("success"));
}

TEST(SimProtocol, ANewConnectionEvictsTheOlderOnTheSameClusterAndKey) {
  auto cfg = SimConfig::for_tests();
  cfg.api_keys = {"key-a", "key-b"};
  auto sim = start(cfg);
  SimClient old_options(sim->port(), "/options");
  ASSERT_TRUE(old_options.login("key-a"));
  SimClient stocks(sim->port(), "/stocks");  // another cluster: no eviction
  ASSERT_TRUE(stocks.login("key-a"));
  SimClient other_key(sim->port(), "/options");  // another key: no eviction
  ASSERT_TRUE(other_key.login("key-b"));
  SimClient new_options(sim->port(), "/options");
  ASSERT_TRUE(new_options.login("key-a"));
  auto m = old_options.wait_status("max_connections");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->kind, StatusKind::MaxConnections);
  EXPECT_EQ(m->message,
            "Maximum number of websocket connections exceeded. You have been disconnected from the socket.");
  EXPECT_TRUE(old_options.wait_closed());
  EXPECT_EQ(old_options.ending().close_reason, "max_connections");
  EXPECT_TRUE(new_options.ping_pong(1000ms));
  EXPECT_TRUE(stocks.ping_pong(1000ms));
  EXPECT_TRUE(other_key.ping_pong(1000ms));
  const auto c = sim->counters();
  EXPECT_EQ(c.evictions, 1U);
  EXPECT_EQ(c.max_concurrent_per_key[static_cast<std::size_t>(Cluster::Options)], 2U);
  EXPECT_EQ(c.max_concurrent_per_key[static_cast<std::size_t>(Cluster::Stocks)], 1U);
}

TEST(SimProtocol, PingIsAnsweredWithPong) {
  auto sim = start();
  SimClient c(sim->port(), "/stocks");
  ASSERT_TRUE(c.login(kDemoKey));
  EXPECT_TRUE(c.ping_pong(1000ms));
  EXPECT_TRUE(sim->wait_until(1s, [](const CounterSnapshot& s) { return s.pings_received == 1; }));
}

TEST(SimProtocol, WildcardsFeedTheirClusterOnlyAndFramesParse) {
  auto cfg = SimConfig::for_tests();
  cfg.market.rates = Rates::with_total(20'000);
  auto sim = start(cfg);
  SimClient o(sim->port(), "/options");
  ASSERT_TRUE(o.login(kDemoKey));
  ASSERT_TRUE(o.subscribe("T.*"));
  SimClient s(sim->port(), "/stocks");
  ASSERT_TRUE(s.login(kDemoKey));
  ASSERT_TRUE(s.subscribe("Q.*"));
  const auto orows = read_rows(o, 700ms);
  const auto srows = read_rows(s, 300ms);
  ASSERT_GT(orows.size(), 50U);
  ASSERT_GT(srows.size(), 50U);
  for (const auto& r : orows) ASSERT_TRUE(std::holds_alternative<ws_source::OptionTrade>(r));
  for (const auto& r : srows) {
    ASSERT_TRUE(std::holds_alternative<ws_source::Nbbo>(r));
    ASSERT_FALSE(std::get<ws_source::Nbbo>(r).contract.has_value());
  }
}

TEST(SimProtocol, OneContractSubscriptionGetsOnlyThatContractAndTheGroundTruthMatches) {
  auto cfg = SimConfig::for_tests();
  cfg.market.rates = Rates::with_total(200'000);
  auto sim = start(cfg);
  std::string busiest;
  sim->with_market([&](Market& m) {
    auto q = m.option_quote_intensities();
    busiest = std::string(
        m.symbol(std::max_element(q.begin(), q.end(), [](auto& a, auto& b) { return a.second < b.second; })->first));
  });
  SimClient c(sim->port(), "/options");
  ASSERT_TRUE(c.login(kDemoKey));
  ASSERT_TRUE(c.subscribe("Q." + busiest));
  auto rows = read_rows(c, 1500ms);
  c.close();
  ASSERT_GT(rows.size(), 10U);
  for (const auto& r : rows) ASSERT_EQ(row_symbol(r), busiest);
  const std::uint64_t id = sim->command_log().back().conn_id;
  const auto truth = sim->sent(id);
  ASSERT_GE(truth.size(), rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(truth[i].symbol, busiest);
    EXPECT_EQ(truth[i].seq, std::get<ws_source::Nbbo>(rows[i]).sequence) << i;
  }
}

TEST(SimProtocol, DelayedTimestampsAreFifteenMinutesBehind) {
  auto cfg = SimConfig::for_tests();
  cfg.market.rates = Rates::with_total(20'000);
  auto sim = start(cfg);
  SimClient c(sim->port(), "/delayed/stocks");
  ASSERT_TRUE(c.login(kDemoKey));
  ASSERT_TRUE(c.subscribe("T.*"));
  const auto rows = read_rows(c, 500ms);
  ASSERT_FALSE(rows.empty());
  const auto now_ns = ws_source::FrameContext::now().received_at_ns;
  for (const auto& r : rows) {
    const std::int64_t lag_s = (now_ns - std::get<ws_source::EquityTrade>(r).sip_ts_ns) / 1'000'000'000;
    EXPECT_GE(lag_s, 15 * 60 - 5);
    EXPECT_LE(lag_s, 15 * 60 + 5);
  }
}

TEST(SimProtocol, AContractListedLaterFlowsOnceListed) {
  auto cfg = SimConfig::for_tests();
  cfg.fixed_clock = true;
  cfg.market.tick = std::chrono::milliseconds(100);  // listings happen on ticks
  cfg.market.listing_interval = std::chrono::milliseconds(400);
  cfg.market.listing_underlyings = 5;
  cfg.market.rates = Rates::with_total(300'000);
  // The same market in virtual time tells which contract the first listing brings.
  Market ahead(cfg.market, cfg.seed);
  const std::size_t before = ahead.instrument_count();
  (void)ahead.advance(std::chrono::milliseconds(550), Feeds::none());
  ASSERT_GT(ahead.instrument_count(), before);
  // The most active new contract.
  std::string future;
  double best = -1;
  for (std::size_t i = before; i < ahead.instrument_count(); ++i) {
    const InstrumentId id{static_cast<std::uint32_t>(i)};
    const double q = ahead.intensity_of(id).quotes;
    if (q > best) {
      best = q;
      future = std::string(ahead.symbol(id));
    }
  }
  auto sim = start(cfg);
  bool listed_at_start = true;
  sim->with_market([&](Market& m) { listed_at_start = m.lookup(future).has_value(); });
  ASSERT_FALSE(listed_at_start) << future;
  SimClient c(sim->port(), "/options");
  ASSERT_TRUE(c.login(kDemoKey));
  ASSERT_TRUE(c.subscribe("Q." + future));
  ASSERT_TRUE(c.wait_status("success"));
  const auto rows = read_rows(c, 2500ms);
  ASSERT_FALSE(rows.empty()) << future << " never flowed";
  for (const auto& r : rows) EXPECT_EQ(row_symbol(r), future);
}

/// One WebSocket frame header as it crossed the wire.
struct WireFrame {
  bool fin;
  int opcode;
  std::uint64_t length;
};

/// Upgrades a raw TCP connection by hand, logs in, subscribes to `params`, and returns the headers
/// of the next `count` frames the server sends: what Beast's client would hide by reassembling.
std::vector<WireFrame> raw_frames(std::uint16_t port, const std::string& path, const std::string& params,
                                  std::size_t count) {
  namespace asio = boost::asio;
  asio::io_context ioc;
  asio::ip::tcp::socket sock(ioc);
  sock.connect({asio::ip::make_address("127.0.0.1"), port});
  const std::string req = "GET " + path +
                          " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  asio::write(sock, asio::buffer(req));
  asio::streambuf buf;
  asio::read_until(sock, buf, "\r\n\r\n");
  {
    const std::string head(asio::buffers_begin(buf.data()), asio::buffers_end(buf.data()));
    EXPECT_EQ(head.rfind("HTTP/1.1 101", 0), 0U) << head;
    buf.consume(head.find("\r\n\r\n") + 4);  // frames may follow the response in the same read
  }
  const auto send_text = [&](const std::string& text) {  // a masked client frame (mask key 0)
    std::string f;
    f += static_cast<char>(0x81);
    if (text.size() < 126) {
      f += static_cast<char>(0x80 | text.size());
    } else {
      f += static_cast<char>(0x80 | 126);
      f += static_cast<char>(text.size() >> 8);
      f += static_cast<char>(text.size() & 0xFF);
    }
    f += std::string(4, '\0');
    f += text;
    asio::write(sock, asio::buffer(f));
  };
  send_text(R"({"action":"auth","params":")" + std::string(kDemoKey) + "\"}");
  send_text(R"({"action":"subscribe","params":")" + params + "\"}");
  const auto read_exact = [&](std::size_t n) {
    if (buf.size() < n) asio::read(sock, buf, asio::transfer_exactly(n - buf.size()));
    std::string out(asio::buffers_begin(buf.data()), asio::buffers_begin(buf.data()) + static_cast<std::ptrdiff_t>(n));
    buf.consume(n);
    return out;
  };
  std::vector<WireFrame> frames;
  while (frames.size() < count) {
    const std::string h = read_exact(2);
    const auto b0 = static_cast<unsigned char>(h[0]);
    const auto b1 = static_cast<unsigned char>(h[1]);
    std::uint64_t len = b1 & 0x7FU;
    if (len == 126 || len == 127) {
      const std::string ext = read_exact(len == 126 ? 2 : 8);
      len = 0;
      for (const char c : ext) len = len << 8U | static_cast<unsigned char>(c);
    }
    (void)read_exact(static_cast<std::size_t>(len));
    frames.push_back({(b0 & 0x80U) != 0, static_cast<int>(b0 & 0x0FU), len});
  }
  return frames;
}

TEST(SimProtocol, FramesAreWholeMessagesUnlessAutoFragmentIsOn) {
  for (const bool fragment : {false, true}) {
    auto cfg = SimConfig::for_tests();
    cfg.auto_fragment = fragment;
    cfg.market.rates = Rates::with_total(400'000);  // stock quotes: 125 per 1 ms step, full frames
    auto sim = start(cfg);
    const auto frames = raw_frames(sim->port(), "/stocks", "Q.*", 60);
    std::size_t continuation = 0;
    std::size_t big = 0;
    for (const auto& f : frames) {
      if (f.opcode == 0) ++continuation;
      if (f.length > 4096) ++big;
      if (!fragment) {
        EXPECT_TRUE(f.fin && f.opcode == 1) << "opcode " << f.opcode;
      }
    }
    if (fragment) {
      EXPECT_GT(continuation, 0U) << "auto_fragment on, yet no continuation frame";
      EXPECT_EQ(big, 0U);
    } else {
      EXPECT_GT(big, 0U) << "no whole message above 4 KB";
    }
  }
}

}  // namespace
}  // namespace massive_sim::test
