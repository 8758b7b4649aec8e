// Copyright (c) James Kassemi, SC, US. All rights reserved.
// The batch encoding (nats_codec.hpp): every batch round-trips exactly (RapidCheck, over the
// parser's row generators and arbitrary meta, explicit contracts, extreme times); truncated or
// corrupted bytes are an error value, never a crash; the documented layout; and the subject and
// URL helpers of nats_common.hpp.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <limits>

#include "generators.hpp"
#include "sample_batches.hpp"
#include "ws_source/nats_codec.hpp"
#include "ws_source/nats_common.hpp"

using namespace ws_source;

namespace {

template <class T>
rc::Gen<std::optional<T>> maybe(rc::Gen<T> g) {
  return rc::gen::oneOf(rc::gen::just(std::optional<T>{}), rc::gen::map(g, [](T v) { return std::optional<T>(v); }));
}

rc::Gen<BatchMeta> gen_meta() {
  return rc::gen::apply(
      [](ResourceType rt, std::size_t shard, std::int64_t wm, std::int64_t rx, bool up, std::uint64_t dropped,
         std::uint64_t conflated, std::uint64_t seq, std::uint64_t late, std::optional<std::int64_t> gap_start,
         std::int64_t gap_end, int reason) {
        BatchMeta m;
        m.resource_type = rt;
        m.shard_id = shard;
        m.watermark_ts_ns = wm;
        m.received_at_ns = rx;
        m.connection = up ? ConnectionState::Connected : ConnectionState::Disconnected;
        m.dropped_since_last = dropped;
        m.conflated_since_last = conflated;
        m.batch_seq = seq;
        m.late_rows = late;
        if (gap_start) m.gap = Gap{*gap_start, gap_end, static_cast<DisconnectReason>(reason)};
        return m;
      },
      rc::gen::elementOf(std::vector<ResourceType>(kAllResourceTypes.begin(), kAllResourceTypes.end())),
      rc::gen::arbitrary<std::size_t>(), rc::gen::arbitrary<std::int64_t>(), rc::gen::arbitrary<std::int64_t>(),
      rc::gen::arbitrary<bool>(), rc::gen::arbitrary<std::uint64_t>(), rc::gen::arbitrary<std::uint64_t>(),
      rc::gen::arbitrary<std::uint64_t>(), rc::gen::arbitrary<std::uint64_t>(),
      maybe(rc::gen::arbitrary<std::int64_t>()), rc::gen::arbitrary<std::int64_t>(),
      rc::gen::inRange(0, static_cast<int>(DisconnectReason::Shutdown) + 1));
}

// Rows the parser never makes but the encoding must carry anyway: contracts that do not match
// their symbol (explicit on the wire), empty symbols, any double but NaN, any SIP time.
rc::Gen<TradeOrNbbo> gen_odd_row() {
  return rc::gen::apply(
      [](TradeOrNbbo row, std::int64_t ts, double price, int variant) {
        const double p = std::isnan(price) ? 0.0 : price;
        std::visit(
            [&](auto& r) {
              r.sip_ts_ns = ts;
              using R = std::decay_t<decltype(r)>;
              if constexpr (std::is_same_v<R, OptionTrade>) {
                r.price = p;
                if (variant == 0) r.contract.strike_milli += 1;  // no longer its symbol's
                if (variant == 1) r = OptionTrade{};             // empty symbol, default contract
              } else if constexpr (std::is_same_v<R, Nbbo>) {
                r.bid_price = p;
                if (variant == 0 && r.contract) r.contract->expiry.day = 0;  // an impossible date, carried
                if (variant == 1) r.contract = OptionContract{};             // a contract on a stock symbol
              } else {
                r.price = p;
                if (variant == 0) r.trf_ts_ns = std::numeric_limits<std::int64_t>::min();
              }
            },
            row);
        return row;
      },
      ws_source::test_support::gen_row(), rc::gen::arbitrary<std::int64_t>(), rc::gen::arbitrary<double>(),
      rc::gen::inRange(0, 3));
}

rc::Gen<DataBatch<TradeOrNbbo>> gen_batch() {
  return rc::gen::apply(
      [](std::vector<TradeOrNbbo> rows, BatchMeta meta) {
        return DataBatch<TradeOrNbbo>{std::move(rows), meta};
      },
      rc::gen::container<std::vector<TradeOrNbbo>>(
          rc::gen::weightedOneOf<TradeOrNbbo>({{4, ws_source::test_support::gen_row()}, {1, gen_odd_row()}})),
      gen_meta());
}

}  // namespace

RC_GTEST_PROP(NatsCodec, EveryBatchRoundTripsExactly, ()) {
  const auto batch = *gen_batch();
  const std::vector<std::uint8_t> bytes = encode_batch(batch);
  RC_ASSERT(encoded_row_count(bytes) == std::optional<std::uint32_t>(static_cast<std::uint32_t>(batch.rows.size())));
  auto decoded = decode_batch(bytes);
  RC_ASSERT(decoded.has_value());
  RC_ASSERT(*decoded == batch);
}

RC_GTEST_PROP(NatsCodec, DecodingReusesTheBatchAndForgetsThePreviousOne, ()) {
  const auto a = *gen_batch();
  const auto b = *gen_batch();
  DataBatch<TradeOrNbbo> out;
  RC_ASSERT(decode_batch(encode_batch(a), out).has_value());
  RC_ASSERT(decode_batch(encode_batch(b), out).has_value());
  RC_ASSERT(out == b);
}

RC_GTEST_PROP(NatsCodec, EveryTruncationIsAnError, ()) {
  const auto batch = *gen_batch();
  const std::vector<std::uint8_t> bytes = encode_batch(batch);
  const auto cut = *rc::gen::inRange<std::size_t>(0, bytes.size());
  const std::vector<std::uint8_t> prefix(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(cut));
  RC_ASSERT(!decode_batch(prefix).has_value());
  // And a byte too many.
  std::vector<std::uint8_t> longer = bytes;
  longer.push_back(0);
  RC_ASSERT(!decode_batch(longer).has_value());
}

RC_GTEST_PROP(NatsCodec, CorruptedBytesNeverCrash, ()) {
  const auto batch = *gen_batch();
  std::vector<std::uint8_t> bytes = encode_batch(batch);
  const auto flips = *rc::gen::inRange(1, 8);
  for (int i = 0; i < flips; ++i) {
    const auto at = *rc::gen::inRange<std::size_t>(0, bytes.size());
    bytes[at] = *rc::gen::arbitrary<std::uint8_t>();
  }
  DataBatch<TradeOrNbbo> out;
  auto r = decode_batch(bytes, out);
  if (r.has_value()) {
    // Whatever decoded is a batch the encoder can write again, and it reads back the same.
    auto again = decode_batch(encode_batch(out));
    RC_ASSERT(again.has_value());
    RC_ASSERT(*again == out);
  } else {
    RC_ASSERT(r.error().offset <= bytes.size());
    RC_ASSERT(!r.error().what.empty());
  }
}

RC_GTEST_PROP(NatsCodec, ArbitraryBytesNeverCrash, (std::vector<std::uint8_t> bytes)) {
  if (*rc::gen::arbitrary<bool>() && bytes.size() >= 4) {  // half of them past the magic
    bytes[0] = 'W';
    bytes[1] = 'S';
    bytes[2] = 'B';
    bytes[3] = kBatchEncodingVersion;
  }
  DataBatch<TradeOrNbbo> out;
  (void)decode_batch(bytes, out);
}

TEST(NatsCodec, TheHeaderIsTheDocumentedLayout) {
  auto b = test::sample_batch(3, 2);  // feed 3 % 4: equity trades; batch 3 has a gap
  const auto bytes = encode_batch(b);
  ASSERT_GE(bytes.size(), 13U);
  EXPECT_EQ(bytes[0], 'W');
  EXPECT_EQ(bytes[1], 'S');
  EXPECT_EQ(bytes[2], 'B');
  EXPECT_EQ(bytes[3], 1);
  EXPECT_EQ(bytes[4], 2);  // row count, little-endian u32
  EXPECT_EQ(bytes[5] | bytes[6] | bytes[7], 0);
  EXPECT_EQ(bytes[8], 1);  // batch 3 carries a gap
  EXPECT_EQ(bytes[9], static_cast<std::uint8_t>(ResourceType::EquityTrades));
  EXPECT_EQ(bytes[10], 0);
  EXPECT_EQ(bytes[11], 0);
  EXPECT_EQ(bytes[12], 0);  // connected
}

TEST(NatsCodec, AHeartbeatIsAFewBytesAndAnOptionQuoteAboutFifty) {
  const auto heartbeat = test::sample_batch(0, 0);
  EXPECT_LE(encode_batch(heartbeat).size(), 40U);
  const auto quotes = test::sample_batch(0, 100);  // options quotes
  const auto bytes = encode_batch(quotes);
  EXPECT_LT(bytes.size(), 100U * 56U) << bytes.size() << " bytes for 100 option quotes";
  auto back = decode_batch(bytes);
  ASSERT_TRUE(back.has_value()) << back.error();
  EXPECT_EQ(*back, quotes);
}

TEST(NatsCodec, RefusesWhatIsNotABatch) {
  EXPECT_FALSE(decode_batch(std::vector<std::uint8_t>{}).has_value());
  auto bytes = encode_batch(test::sample_batch(1, 3));
  auto other_version = bytes;
  other_version[3] = 2;
  auto r = decode_batch(other_version);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().what.find("version 2"), std::string::npos) << r.error();
  auto bad_feed = bytes;
  bad_feed[9] = 4;
  EXPECT_FALSE(decode_batch(bad_feed).has_value());
  auto bad_magic = bytes;
  bad_magic[0] = '{';
  EXPECT_FALSE(decode_batch(bad_magic).has_value());
  EXPECT_FALSE(encoded_row_count(bad_magic).has_value());
  // A row count the payload cannot hold is refused before any allocation.
  auto huge = bytes;
  huge[7] = 0x7F;
  r = decode_batch(huge);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().offset, 4U);
}

TEST(NatsSubjects, OnePerClusterAndFeed) {
  EXPECT_EQ(nats_subject("massive", ResourceType::OptionsQuotes), "massive.options.quotes");
  EXPECT_EQ(nats_subject("massive", ResourceType::OptionsTrades), "massive.options.trades");
  EXPECT_EQ(nats_subject("massive", ResourceType::EquityQuotes), "massive.stocks.quotes");
  EXPECT_EQ(nats_subject("massive", ResourceType::EquityTrades), "massive.stocks.trades");
  EXPECT_EQ(nats_subject("acme.md", ResourceType::EquityTrades), "acme.md.stocks.trades");
  for (const ResourceType rt : kAllResourceTypes) {
    EXPECT_EQ(feed_of_subject("acme.md", nats_subject("acme.md", rt)), std::optional<ResourceType>(rt));
  }
  EXPECT_FALSE(feed_of_subject("massive", "massive.options.quote").has_value());
  EXPECT_FALSE(feed_of_subject("massive", "massivex.options.quotes").has_value());
}

TEST(NatsSubjects, WildcardsMatchAsNatsDoes) {
  EXPECT_TRUE(nats_subject_matches("massive.>", "massive.options.quotes"));
  EXPECT_TRUE(nats_subject_matches("massive.*.quotes", "massive.stocks.quotes"));
  EXPECT_TRUE(nats_subject_matches("massive.options.quotes", "massive.options.quotes"));
  EXPECT_FALSE(nats_subject_matches("massive.*", "massive.options.quotes"));
  EXPECT_FALSE(nats_subject_matches("massive.>", "massive"));
  EXPECT_FALSE(nats_subject_matches("other.>", "massive.options.quotes"));
  EXPECT_FALSE(nats_subject_matches("massive.options.quotes.x", "massive.options.quotes"));
}

TEST(NatsSubjects, PrefixesAreChecked) {
  EXPECT_TRUE(validate_subject_prefix("massive").has_value());
  EXPECT_TRUE(validate_subject_prefix("acme.md-1").has_value());
  for (const char* bad : {"", ".", "a..b", "a.", "a b", "a.*", "a.>", "a\tb"}) {
    auto r = validate_subject_prefix(bad);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().kind, NatsError::Kind::Config);
  }
}

TEST(NatsSubjects, CredentialsNeverShow) {
  EXPECT_EQ(redact_nats_url("nats://127.0.0.1:4222"), "nats://127.0.0.1:4222");
  EXPECT_EQ(redact_nats_url("nats://user:s3cret@host:4222"), "nats://***@host:4222");
  EXPECT_EQ(redact_nats_url("nats://tok@a:1,tls://u:p@b:2"), "nats://***@a:1,tls://***@b:2");
}
