// Copyright (c) James Kassemi, SC, US. All rights reserved.
#include <gtest/gtest.h>

#include <sstream>
#include <unordered_set>

#include "ws_source/ws_source.hpp"

using namespace ws_source;

TEST(Symbol, HoldsTheLongestOccSymbolInline) {
  auto s = Symbol::make("O:GOOGL1261219C01234500");  // 23 bytes: a 6-char root
  ASSERT_TRUE(s);
  EXPECT_EQ(s->size(), 23U);
  EXPECT_EQ(*s, "O:GOOGL1261219C01234500");
  EXPECT_EQ(sizeof(Symbol), 24U);
  static_assert(std::is_trivially_copyable_v<Symbol>);
}

TEST(Symbol, RejectsEmptyTooLongAndBadBytes) {
  EXPECT_EQ(Symbol::make("").error().kind, InlineStringError::Kind::Empty);
  auto too_long = Symbol::make("ABCDEFGHIJKLMNOPQRSTUVWX");
  ASSERT_FALSE(too_long);
  EXPECT_EQ(too_long.error().message(), "24 bytes, longer than the 23-byte limit");
  auto comma = Symbol::make("AAPL,TSLA");
  ASSERT_FALSE(comma);
  EXPECT_EQ(comma.error().message(), "invalid byte 0x2c at offset 4");
  EXPECT_FALSE(Symbol::make("AA PL"));
  EXPECT_FALSE(Symbol::make("AA\x7fPL"));
  EXPECT_FALSE(Symbol::make("AA\xc3\xa9PL"));
  EXPECT_TRUE(Symbol::make("BRK.A"));
}

TEST(Symbol, ComparesAndHashesAsItsText) {
  auto a = *Symbol::make("AAPL");
  auto b = *Symbol::make("AAPL");
  auto c = *Symbol::make("AAPLX");
  EXPECT_EQ(a, b);
  EXPECT_LT(a, c);
  std::unordered_set<Symbol> set{a, b, c};
  EXPECT_EQ(set.size(), 2U);
  std::ostringstream os;
  os << c;
  EXPECT_EQ(os.str(), "AAPLX");
}

TEST(Codes, RefusesTheOneTooMany) {
  Codes c;
  for (std::uint16_t i = 0; i < Codes::kCapacity; ++i) {
    ASSERT_TRUE(c.push_back(i));
  }
  EXPECT_FALSE(c.push_back(99));
  EXPECT_EQ(c.size(), Codes::kCapacity);
}

TEST(OptionContract, ParsesTheDocumentedExample) {
  auto c = OptionContract::parse("O:SPY251219C00650000");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->root, "SPY");
  EXPECT_EQ(c->expiry, (Date{2025, 12, 19}));
  EXPECT_EQ(c->right, OptionRight::Call);
  EXPECT_EQ(c->strike_milli, 650'000U);
  EXPECT_DOUBLE_EQ(c->strike(), 650.0);
  EXPECT_EQ(c->to_symbol(), "O:SPY251219C00650000");
}

TEST(OptionContract, AdjustedRootsWithDigitsAndPuts) {
  auto c = OptionContract::parse("O:SPY1260116P00001500");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->root, "SPY1");
  EXPECT_EQ(c->right, OptionRight::Put);
  EXPECT_EQ(c->strike_milli, 1'500U);
  EXPECT_EQ(c->to_symbol(), "O:SPY1260116P00001500");
  auto one = OptionContract::parse("O:F250117C00012000");
  ASSERT_TRUE(one);
  EXPECT_EQ(one->root, "F");
}

TEST(OptionContract, EveryErrorHasItsCase) {
  EXPECT_EQ(OptionContract::parse("SPY251219C00650000").error(), OccError::MissingPrefix);
  EXPECT_EQ(OptionContract::parse("O:SPY25121").error(), OccError::BadLength);
  EXPECT_EQ(OptionContract::parse("O:TOOLONGR251219C00650000").error(), OccError::BadLength);
  EXPECT_EQ(OptionContract::parse("O:SPY251219C0065000").error(), OccError::BadStrike);
  EXPECT_EQ(OptionContract::parse("O:SPY251219X00650000").error(), OccError::BadRight);
  EXPECT_EQ(OptionContract::parse("O:SPY251219C0065000A").error(), OccError::BadStrike);
  EXPECT_EQ(OptionContract::parse("O:sPY251219C00650000").error(), OccError::BadRoot);
  EXPECT_EQ(OptionContract::parse("O:SPY251319C00650000").error(), OccError::BadExpiry);
  EXPECT_EQ(OptionContract::parse("O:SPY250230C00650000").error(), OccError::BadExpiry);
  EXPECT_EQ(OptionContract::parse("O:SPY2512A9C00650000").error(), OccError::BadExpiry);
  EXPECT_EQ(describe(OccError::BadExpiry), "invalid expiry date");
}

TEST(OptionContract, LeapDays) {
  EXPECT_TRUE(OptionContract::parse("O:SPY280229C00650000"));   // 2028 is a leap year
  EXPECT_FALSE(OptionContract::parse("O:SPY270229C00650000"));  // 2027 is not
  EXPECT_TRUE(is_valid_date(2000, 2, 29));
  EXPECT_FALSE(is_valid_date(2100, 2, 29));
}

TEST(OptionContract, PutCallPairFlipsTheRight) {
  auto call = *Symbol::make("O:SPY251219C00650000");
  auto put = put_call_pair(call);
  ASSERT_TRUE(put);
  EXPECT_EQ(*put, "O:SPY251219P00650000");
  EXPECT_EQ(*put_call_pair(*put), call);
  EXPECT_FALSE(put_call_pair(*Symbol::make("AAPL")));
}

TEST(ResourceType, ClustersPrefixesAndLimits) {
  EXPECT_EQ(cluster(ResourceType::OptionsQuotes), Cluster::Options);
  EXPECT_EQ(cluster(ResourceType::OptionsTrades), Cluster::Options);
  EXPECT_EQ(cluster(ResourceType::EquityQuotes), Cluster::Stocks);
  EXPECT_EQ(path(Cluster::Stocks), "stocks");
  EXPECT_EQ(channel_prefix(ResourceType::OptionsQuotes), "Q");
  EXPECT_EQ(channel_prefix(ResourceType::EquityTrades), "T");
  EXPECT_FALSE(supports_wildcard(ResourceType::OptionsQuotes));
  EXPECT_TRUE(supports_wildcard(ResourceType::OptionsTrades));
  EXPECT_EQ(subscription_limit(ResourceType::OptionsQuotes), std::optional<std::size_t>(1000));
  EXPECT_EQ(subscription_limit(ResourceType::EquityQuotes), std::nullopt);
  for (std::size_t i = 0; i < kAllResourceTypes.size(); ++i) {
    EXPECT_EQ(index(kAllResourceTypes[i]), i);
  }
  EXPECT_EQ(to_string(ResourceType::EquityTrades), "equity_trades");
}

TEST(Timestamp, ConvertsExactlyAndRejectsImplausibleMagnitudes) {
  EXPECT_EQ(*ms_to_ns(1'732'546'800'123, std::nullopt), 1'732'546'800'123'000'000);
  EXPECT_EQ(ms_to_ns(0, std::nullopt).error().kind, TimestampError::Kind::NotPositive);
  EXPECT_EQ(ms_to_ns(-5, std::nullopt).error().kind, TimestampError::Kind::NotPositive);
  EXPECT_EQ(ms_to_ns(1'732'546'800, std::nullopt).error().kind, TimestampError::Kind::TooSmall);
  EXPECT_EQ(ms_to_ns(1'732'546'800'123'000, std::nullopt).error().kind, TimestampError::Kind::TooLarge);
  EXPECT_TRUE(ms_to_ns(kMinPlausibleMs, std::nullopt));
  EXPECT_FALSE(ms_to_ns(kMaxPlausibleMs, std::nullopt));
  EXPECT_TRUE(ms_to_ns(kMaxPlausibleMs - 1, std::nullopt));
  EXPECT_EQ(ms_to_ns(1'732'546'800, std::nullopt).error().message(),
            "1732546800 is before 2000-01-01 in milliseconds (seconds sent as milliseconds?)");
}

TEST(Timestamp, FutureLimitPassesAtEqualityAndRejectsBeyond) {
  const FutureLimit limit{1'732'546'800'000'000'000, 1'000'000'000};
  EXPECT_TRUE(ms_to_ns(1'732'546'801'000, limit));
  auto late = ms_to_ns(1'732'546'801'001, limit);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().kind, TimestampError::Kind::InFuture);
  EXPECT_EQ(late.error().ahead_ms, 1001);
  // A receive time near the end of int64 saturates instead of overflowing.
  EXPECT_TRUE(ms_to_ns(1'732'546'801'001, FutureLimit{std::numeric_limits<std::int64_t>::max() - 5, 100}));
}

TEST(Status, DecodesEveryDocumentedStatus) {
  struct Case {
    const char* status;
    const char* message;
    StatusKind kind;
    bool disconnect;
  };
  const Case cases[] = {
      {"connected", "Connected Successfully", StatusKind::Connected, false},
      {"auth_success", "authenticated", StatusKind::AuthSuccess, false},
      {"auth_failed", "authentication failed", StatusKind::AuthFailed, true},
      {"auth_timeout", "authentication timeout", StatusKind::AuthTimeout, true},
      {"auth_required", "authentication required", StatusKind::AuthRequired, false},
      {"success", "subscribed to: T.AAPL", StatusKind::Subscribed, false},
      {"success", "unsubscribed to: T.AAPL", StatusKind::Unsubscribed, false},
      {"success", "something else", StatusKind::Success, false},
      {"error", "not authorized", StatusKind::Error, false},
      {"max_connections", "Maximum number of websocket connections exceeded.", StatusKind::MaxConnections, true},
      {"force_disconnect", "forced", StatusKind::ForceDisconnect, true},
      {"slow_consumer", "slow", StatusKind::SlowConsumer, true},
      {"maintenance", "soon", StatusKind::Other, false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.status);
    auto m = StatusMessage::from_wire(c.status, c.message);
    EXPECT_EQ(m.kind, c.kind);
    EXPECT_EQ(m.is_disconnect(), c.disconnect);
    EXPECT_EQ(m.status, c.status);
    EXPECT_EQ(m.message, c.message);
  }
  EXPECT_EQ(StatusMessage::from_wire("success", "subscribed to:  Q.O:SPY251219C00650000 ").channel,
            "Q.O:SPY251219C00650000");
}

TEST(Format, RowsPrintEveryFieldOnOneLine) {
  EquityTrade t;
  t.symbol = *Symbol::make("AAPL");
  t.exchange = 4;
  t.trade_id = *TradeId::make("9");
  t.price = 229.87;
  t.size = 100;
  t.conditions = Codes{12, 37};
  t.sip_ts_ns = 1;
  t.sequence = 2;
  std::ostringstream os;
  os << TradeOrNbbo{t};
  EXPECT_EQ(os.str(), "EquityTrade sym=AAPL x=4 i=9 z=- p=229.87 s=100 ds=- c=[12,37] t=1 q=2 trfi=- trft=-");
}
