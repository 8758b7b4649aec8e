// Copyright (c) James Kassemi, SC, US. All rights reserved.
//
// massive-sim's faults, from the C++ API and the console: close, reset, stall (no data, no
// pongs, socket open), slow_consumer (injected and a real send-buffer overflow),
// force_disconnect, malformed and bad-event frames, reject-auth, timed policies, restart with a
// downtime, go_down / go_up, replay mode. Each is checked on the client side and in the counters.

#include <gtest/gtest.h>

#include <massive_sim/console.hpp>
#include <massive_sim/server.hpp>
#include <thread>
#include <ws_source/parse.hpp>

#include "sim_client.hpp"

namespace massive_sim::test {
namespace {

std::unique_ptr<Server> start(SimConfig cfg = SimConfig::for_tests()) {
  auto s = Server::start(std::move(cfg));
  EXPECT_TRUE(s) << (s ? "" : s.error());
  return s ? std::move(*s) : nullptr;
}

/// A logged-in client on `path` subscribed to `params`.
std::unique_ptr<SimClient> subscribed(Server& sim, const char* path, const char* params) {
  auto c = std::make_unique<SimClient>(sim.port(), path);
  EXPECT_TRUE(c->login(kDemoKey));
  EXPECT_TRUE(c->subscribe(params));
  EXPECT_TRUE(c->wait_status("success"));
  return c;
}

/// Data frames (frames that are not status frames) read within `d`.
std::size_t data_frames(SimClient& c, std::chrono::milliseconds d) {
  std::size_t n = 0;
  const auto deadline = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < deadline && !c.ending().closed) {
    auto f = c.read(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
    if (f && SimClient::statuses(*f).empty()) ++n;
  }
  return n;
}

SimConfig busy() {
  auto cfg = SimConfig::for_tests();
  cfg.market.rates = Rates::with_total(50'000);
  return cfg;
}

TEST(SimFaults, CloseSendsACloseFrame) {
  auto sim = start();
  auto c = subscribed(*sim, "/stocks", "T.*");
  EXPECT_EQ(sim->inject(Action::Close, Target::all()), 1U);
  ASSERT_TRUE(c->wait_closed());
  EXPECT_TRUE(c->ending().close_frame);
  EXPECT_EQ(c->ending().close_code, 1001);
  EXPECT_EQ(c->ending().close_reason, "closed by fault injection");
  EXPECT_EQ(sim->counters().fault_closes, 1U);
}

TEST(SimFaults, ResetIsATcpReset) {
  auto sim = start();
  auto c = subscribed(*sim, "/stocks", "T.*");
  EXPECT_EQ(sim->inject(Action::Reset, Target::of(Cluster::Stocks)), 1U);
  ASSERT_TRUE(c->wait_closed());
  EXPECT_FALSE(c->ending().close_frame);
  EXPECT_TRUE(c->ending().reset) << c->ending().error;
  EXPECT_EQ(sim->counters().fault_resets, 1U);
}

TEST(SimFaults, StallWithholdsDataAndPongsUntilUnstall) {
  auto sim = start(busy());
  auto c = subscribed(*sim, "/options", "T.*");
  ASSERT_GT(data_frames(*c, 300ms), 0U);
  EXPECT_EQ(sim->inject(Action::Stall, Target::all()), 1U);
  ASSERT_TRUE(sim->wait_until(1s, [](const CounterSnapshot& s) { return s.fault_stalls == 1; }));
  (void)data_frames(*c, 100ms);  // what was already on the wire
  EXPECT_FALSE(c->ping_pong(500ms)) << "a stalled server answered a ping";
  EXPECT_EQ(data_frames(*c, 300ms), 0U);
  EXPECT_FALSE(c->ending().closed) << "a stall keeps the socket open";
  EXPECT_TRUE(sim->connections()[0].stalled);
  EXPECT_GT(sim->counters().events_dropped_stalled, 0U);
  EXPECT_EQ(sim->inject(Action::Unstall, Target::all()), 1U);
  EXPECT_TRUE(c->ping_pong(1000ms));
  EXPECT_GT(data_frames(*c, 300ms), 0U);
}

TEST(SimFaults, ForceDisconnectAndInjectedSlowConsumerSendTheirStatusThenClose) {
  auto sim = start();
  auto a = subscribed(*sim, "/stocks", "T.*");
  auto b = subscribed(*sim, "/options", "T.*");
  EXPECT_EQ(sim->inject(Action::ForceDisconnect, Target::of(Cluster::Stocks)), 1U);
  EXPECT_EQ(sim->inject(Action::SlowConsumer, Target::of(Cluster::Options)), 1U);
  auto f = a->wait_status("force_disconnect");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->message, "The server has forced this connection to close.");
  auto s = b->wait_status("slow_consumer");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->message, "Slow consumer: the client did not read fast enough and the send buffer is full.");
  EXPECT_TRUE(a->wait_closed());
  EXPECT_TRUE(b->wait_closed());
  EXPECT_EQ(a->ending().close_code, 1008);
  EXPECT_EQ(b->ending().close_reason, "slow_consumer");
  const auto c = sim->counters();
  EXPECT_EQ(c.fault_force_disconnects, 1U);
  EXPECT_EQ(c.slow_consumer_disconnects, 1U);
  EXPECT_EQ(c.send_buffer_overflows, 0U);
}

TEST(SimFaults, AClientThatStopsReadingIsDroppedAsASlowConsumer) {
  auto cfg = SimConfig::for_tests();
  cfg.market.rates = Rates::with_total(400'000);
  cfg.send_buffer_bytes = 256U << 10U;
  auto sim = start(cfg);
  auto c = subscribed(*sim, "/options", "T.*,Q.O:SPY251219C00650000");
  // Not reading: the socket buffers fill, then the server's queue passes its bound.
  ASSERT_TRUE(sim->wait_until(10s, [](const CounterSnapshot& s) { return s.send_buffer_overflows == 1; }));
  ASSERT_TRUE(sim->wait_until(2s, [](const CounterSnapshot& s) { return s.open[1] == 0; }));
  EXPECT_TRUE(c->wait_closed(10000ms));
  const auto s = sim->counters();
  EXPECT_EQ(s.slow_consumer_disconnects, 1U);
}

TEST(SimFaults, MalformedAndBadEventFramesLeaveTheConnectionOpen) {
  auto sim = start();
  auto c = subscribed(*sim, "/stocks", "T.AAPL");
  EXPECT_EQ(sim->inject(Action::Malformed, Target::all()), 1U);
  EXPECT_EQ(sim->inject(Action::BadEvent, Target::all()), 1U);
  std::vector<std::string> bad;
  ws_source::Parser parser;
  ws_source::ParsedFrame out;
  for (int i = 0; i < 20 && bad.size() < 2; ++i) {
    auto f = c->read(500ms);
    if (!f) continue;
    if (!parser.parse(std::span<const char>(f->data(), f->size()), ws_source::FrameContext::now(), out)) {
      bad.push_back(*f);
    }
  }
  ASSERT_EQ(bad.size(), 2U);
  EXPECT_EQ(bad[0], R"([{"ev":"T","sym":"AAPL","p":1)");
  EXPECT_EQ(bad[1], R"([{"ev":"T","sym":"AAPL","x":4,"p":-1.5,"s":"ten","t":1700000000}])");
  EXPECT_TRUE(c->ping_pong(1000ms));
  EXPECT_EQ(sim->counters().fault_malformed_frames, 2U);
}

TEST(SimFaults, RejectAuthOnceThenAccept) {
  auto sim = start();
  sim->add_fault_once(Fault{Fault::Kind::RejectAuth, {}});
  SimClient a(sim->port(), "/stocks");
  ASSERT_TRUE(a.wait_status("connected"));
  ASSERT_TRUE(a.auth(kDemoKey));
  EXPECT_TRUE(a.wait_status("auth_failed"));
  SimClient b(sim->port(), "/stocks");
  EXPECT_TRUE(b.login(kDemoKey));
  const auto c = sim->counters();
  EXPECT_EQ(c.fault_auth_rejections, 1U);
  EXPECT_EQ(c.auth_failed, 1U);
}

TEST(SimFaults, TimedPolicyClosesEveryNewConnection) {
  auto sim = start();
  sim->add_fault(*parse_fault("close-after=300ms"));
  for (int i = 0; i < 2; ++i) {
    auto c = subscribed(*sim, "/stocks", "T.*");
    EXPECT_TRUE(c->wait_closed(3000ms));
    EXPECT_EQ(c->ending().close_code, 1001);
  }
  sim->clear_faults();
  auto c = subscribed(*sim, "/stocks", "T.*");
  EXPECT_FALSE(c->wait_closed(600ms));
  EXPECT_EQ(sim->counters().fault_closes, 2U);
}

TEST(SimFaults, RestartWithDowntimeRefusesThenAccepts) {
  auto sim = start();
  auto c = subscribed(*sim, "/options", "T.*");
  std::thread restarter([&] { ASSERT_TRUE(sim->restart(std::chrono::milliseconds(600))); });
  EXPECT_TRUE(c->wait_closed(2000ms));
  EXPECT_FALSE(c->ending().close_frame) << "a restart drops connections without a close frame";
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  SimClient refused(sim->port(), "/options");
  EXPECT_FALSE(refused.ok());
  restarter.join();
  SimClient again(sim->port(), "/options");
  ASSERT_TRUE(again.ok()) << again.connect_error();
  EXPECT_TRUE(again.login(kDemoKey));
  EXPECT_EQ(sim->counters().restarts, 1U);
}

TEST(SimFaults, ConsoleDrivesTheServer) {
  auto sim = start();
  auto c = subscribed(*sim, "/stocks", "T.*");
  auto r = run_console_command(*sim, "force stocks");
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.text, "force-disconnect -> 1 connection(s)");
  EXPECT_TRUE(c->wait_status("force_disconnect"));
  EXPECT_EQ(run_console_command(*sim, "stall 99").text, "stall -> 0 connection(s)");
  EXPECT_FALSE(run_console_command(*sim, "explode").ok);
  EXPECT_FALSE(run_console_command(*sim, "fault close-after").ok);
  EXPECT_EQ(run_console_command(*sim, "fault close-after").text, "close-after needs a duration, e.g. close-after=5s");
  EXPECT_TRUE(run_console_command(*sim, "fault reset-after=2s").ok);
  EXPECT_TRUE(run_console_command(*sim, "clear-faults").ok);
  EXPECT_TRUE(run_console_command(*sim, "rate 1000").ok);
  EXPECT_FALSE(run_console_command(*sim, "rate lots").ok);
  EXPECT_TRUE(run_console_command(*sim, "limit 10").ok);
  EXPECT_NE(run_console_command(*sim, "stats").text.find("\"fault_force_disconnects\":1"), std::string::npos);
  EXPECT_TRUE(run_console_command(*sim, "quit").quit);
}

TEST(SimFaults, ParsesDurationsAndSpecs) {
  EXPECT_EQ(*parse_duration("250ms"), std::chrono::milliseconds(250));
  EXPECT_EQ(*parse_duration("2m"), std::chrono::minutes(2));
  EXPECT_EQ(*parse_duration("2min"), std::chrono::minutes(2));
  EXPECT_EQ(*parse_duration("1.5"), std::chrono::milliseconds(1500));
  EXPECT_EQ(*parse_duration("1h"), std::chrono::hours(1));
  EXPECT_EQ(parse_duration("-1s").error(), "bad duration: -1s");
  EXPECT_EQ(parse_duration("5 fortnights").error(), "bad duration unit: 5 fortnights");
  EXPECT_FALSE(parse_duration("1e30s"));
  EXPECT_FALSE(parse_duration("nan"));
  EXPECT_EQ(*parse_fault("stall-after=10s"), (Fault{Fault::Kind::StallAfter, std::chrono::seconds(10)}));
  EXPECT_EQ(parse_fault("reject-auth")->kind, Fault::Kind::RejectAuth);
  EXPECT_EQ(parse_fault("explode").error(), "unknown fault: explode");
  EXPECT_EQ(*parse_action("slow"), Action::SlowConsumer);
  EXPECT_EQ(parse_action("dance").error(), "unknown action: dance");
}

TEST(SimReplay, SendsPreEncodedFramesAsFastAsTheSocketTakesThem) {
  auto cfg = SimConfig::for_tests();
  cfg.replay = ReplayConfig{Feed::OptionQuotes, 8, 100};
  auto sim = start(cfg);
  auto c = std::make_unique<SimClient>(sim->port(), "/options");
  ASSERT_TRUE(c->login(kDemoKey));
  ASSERT_TRUE(c->subscribe("Q.O:SPY251219C00650000"));
  ws_source::Parser parser;
  ws_source::ParsedFrame out;
  std::size_t rows = 0;
  for (int i = 0; i < 50; ++i) {
    auto f = c->read(1000ms);
    ASSERT_TRUE(f);
    auto r = parser.parse(std::span<const char>(f->data(), f->size()), ws_source::FrameContext::now(), out);
    ASSERT_TRUE(r) << r.error().message();
    rows += out.row_count();
  }
  EXPECT_GE(rows, 48U * 100U);  // all but the ack frames are full replay frames
  EXPECT_GE(sim->counters().replay_frames_sent, 48U);
}

}  // namespace
}  // namespace massive_sim::test
