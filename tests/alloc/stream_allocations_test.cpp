// Copyright (c) James Kassemi, SC, US. All rights reserved.
// Counts heap allocations around the batch rings with a replaced global operator new: once the
// pool and the row vectors are warm, publishing, taking (try_next, next(timeout), next(),
// range-for) and releasing batches allocates nothing. (Its own executable: the replacement is
// process-wide.)
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <new>

#include "counting_new.hpp"
#include "stream/batch_producer.hpp"
#include "stream/batch_stream_builder.hpp"
#include "ws_source/batch_stream.hpp"

using namespace ws_source;

namespace {

// Publishes one batch of `rows` rows on `p`.
void publish(detail::BatchProducer& p, std::uint64_t seq, std::size_t rows) {
  detail::Batch* b = p.acquire();
  ASSERT_NE(b, nullptr);
  b->meta.batch_seq = seq;
  for (std::size_t i = 0; i < rows; ++i) {
    EquityTrade t;
    t.sequence = i;
    b->rows.emplace_back(t);
  }
  ASSERT_TRUE(p.publish(b));
}

}  // namespace

TEST(StreamAllocations, NoneOnceWarm) {
  detail::BatchStreamBuilder builder;
  detail::BatchProducer a = builder.add_channel({.capacity = 16, .lease_allowance = 4});
  detail::BatchProducer b = builder.add_channel({.capacity = 16, .lease_allowance = 4});
  BatchStream stream = std::move(builder).build();

  std::uint64_t seq = 0;
  std::uint64_t rows_seen = 0;
  auto round = [&] {
    for (int i = 0; i < 4; ++i) {
      publish(a, seq, 100);
      publish(b, seq, 10);
      ++seq;
    }
    for (int i = 0; i < 2; ++i) {
      auto lease = stream.try_next();
      ASSERT_TRUE(lease);
      rows_seen += (*lease)->rows.size();
    }
    for (int i = 0; i < 2; ++i) {
      auto lease = stream.next(std::chrono::milliseconds(100));
      ASSERT_TRUE(lease);
      rows_seen += (*lease)->rows.size();
    }
    for (int i = 0; i < 4; ++i) {
      auto lease = stream.next();
      ASSERT_TRUE(lease);
      rows_seen += (*lease)->rows.size();
    }
    ASSERT_FALSE(stream.try_next());
  };
  for (int i = 0; i < 20; ++i) {
    round();  // warm-up: the pool and every batch's row vector reach their size
  }
  const auto pool_before = a.stats().pool_allocations + b.stats().pool_allocations;
  g_allocations = 0;
  g_counting = true;
  for (int i = 0; i < 2000; ++i) {
    round();
  }
  g_counting = false;
  EXPECT_EQ(g_allocations.load(), 0U);
  EXPECT_EQ(a.stats().pool_allocations + b.stats().pool_allocations, pool_before);
  EXPECT_EQ(rows_seen, 2020U * 4 * 110);
}

TEST(StreamAllocations, NoneInARangeForLoop) {
  detail::BatchStreamBuilder builder;
  detail::BatchProducer p = builder.add_channel({.capacity = 64, .lease_allowance = 4});
  BatchStream stream = std::move(builder).build();
  for (std::uint64_t i = 0; i < 64; ++i) {
    publish(p, i, 50);
  }
  // Drain once to warm the batches, then refill them: their vectors keep their capacity.
  while (stream.try_next()) {
  }
  for (std::uint64_t i = 0; i < 64; ++i) {
    publish(p, i, 50);
  }
  p.close();
  g_allocations = 0;
  g_counting = true;
  std::uint64_t n = 0;
  for (const auto& batch : stream) {
    n += batch.rows.size();
  }
  g_counting = false;
  EXPECT_EQ(g_allocations.load(), 0U);
  EXPECT_EQ(n, 64U * 50);
}
