// Copyright (c) James Kassemi, SC, US. All rights reserved.
// BatchStream over several rings: order per ring, round-robin fairness, try_next / next(timeout)
// / next(), range-for, the callback adapter, end of stream, and a blocked consumer that sleeps.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "stream/batch_producer.hpp"
#include "stream/batch_stream_builder.hpp"
#include "stream_test_support.hpp"

using namespace ws_source;
using namespace std::chrono_literals;
using detail::Batch;
using detail::BatchProducer;
using detail::BatchStreamBuilder;

namespace {

struct Rings {
  explicit Rings(std::size_t n, std::size_t capacity = 64) {
    BatchStreamBuilder b;
    for (std::size_t i = 0; i < n; ++i) {
      producers.push_back(b.add_channel({.capacity = capacity, .lease_allowance = 4}));
    }
    stream = std::move(b).build();
  }
  void publish(std::size_t producer, std::uint64_t seq, std::size_t rows = 2) {
    Batch* b = producers[producer].acquire();
    ASSERT_NE(b, nullptr);
    test::fill(*b, producer, seq, rows);
    ASSERT_TRUE(producers[producer].publish(b));
  }
  void close_all() {
    for (auto& p : producers) {
      p.close();
    }
  }
  std::vector<BatchProducer> producers;
  BatchStream stream;
};

}  // namespace

TEST(BatchStream, TryNextOnAnEmptyStreamReturnsNothingAtOnce) {
  Rings r(2);
  EXPECT_FALSE(r.stream.try_next());
  EXPECT_FALSE(r.stream.ended());
  EXPECT_EQ(r.stream.ring_count(), 2U);
  EXPECT_FALSE(r.stream.next(0ns));
  EXPECT_FALSE(r.stream.next(-5s));
}

TEST(BatchStream, NextWithATimeoutTimesOut) {
  Rings r(1);
  for (auto timeout : {1ms, 20ms}) {
    const auto start = std::chrono::steady_clock::now();
    EXPECT_FALSE(r.stream.next(timeout));
    EXPECT_GE(std::chrono::steady_clock::now() - start, timeout);
  }
  EXPECT_FALSE(r.stream.ended());
  // Long timeouts: 200 years (still inside steady_clock's 292-year range from boot) and
  // nanoseconds::max(), whose deadline is past the range and saturates instead of overflowing.
  // (The argument is std::chrono::nanoseconds: a longer duration, such as 1,000 years, would
  // overflow at the call site, before next() could saturate it.)
  r.publish(0, 0);
  EXPECT_TRUE(r.stream.next(std::chrono::hours(24 * 365 * 200)));
  r.publish(0, 1);
  EXPECT_TRUE(r.stream.next(std::chrono::nanoseconds::max()));
}

TEST(BatchStream, KeepsEachRingsOrder) {
  Rings r(3);
  for (std::uint64_t seq = 0; seq < 20; ++seq) {
    for (std::size_t p = 0; p < 3; ++p) {
      r.publish(p, seq, 1 + seq % 4);
    }
  }
  r.close_all();
  std::vector<std::uint64_t> next_seq(3, 0);
  std::size_t n = 0;
  for (const auto& batch : r.stream) {
    const std::size_t p = batch.meta.shard_id;
    ASSERT_LT(p, 3U);
    EXPECT_TRUE(test::is_batch(batch, p, next_seq[p], 1 + next_seq[p] % 4));
    ++next_seq[p];
    ++n;
  }
  EXPECT_EQ(n, 60U);
  EXPECT_EQ(next_seq, (std::vector<std::uint64_t>{20, 20, 20}));
  EXPECT_TRUE(r.stream.ended());
  EXPECT_EQ(r.stream.stats().batches, 60U);
}

TEST(BatchStream, IsFairAcrossRings) {
  // A busy ring (50 queued) does not starve two quiet ones (3 and 1 queued): the stream takes
  // one batch per ring per round.
  Rings r(3);
  for (std::uint64_t i = 0; i < 50; ++i) {
    r.publish(0, i);
  }
  for (std::uint64_t i = 0; i < 3; ++i) {
    r.publish(1, i);
  }
  r.publish(2, 0);
  std::vector<std::size_t> order;
  while (auto lease = r.stream.try_next()) {
    order.push_back((*lease)->meta.shard_id);
  }
  ASSERT_EQ(order.size(), 54U);
  const std::vector<std::size_t> head(order.begin(), order.begin() + 8);
  EXPECT_EQ(head, (std::vector<std::size_t>{0, 1, 2, 0, 1, 0, 1, 0}));
  for (std::size_t i = 8; i < order.size(); ++i) {
    EXPECT_EQ(order[i], 0U);
  }
}

TEST(BatchStream, RoundRobinContinuesAfterTheRingThatLastGave) {
  Rings r(3);
  r.publish(1, 0);
  auto first = r.stream.try_next();
  ASSERT_TRUE(first);
  EXPECT_EQ((*first)->meta.shard_id, 1U);
  r.publish(0, 0);
  r.publish(1, 1);
  r.publish(2, 0);
  std::vector<std::size_t> order;
  while (auto lease = r.stream.try_next()) {
    order.push_back((*lease)->meta.shard_id);
  }
  EXPECT_EQ(order, (std::vector<std::size_t>{2, 0, 1}));
}

TEST(BatchStream, EndsOnlyWhenEveryRingIsClosedAndDrained) {
  Rings r(2);
  r.publish(0, 0);
  r.producers[0].close();
  EXPECT_FALSE(r.stream.ended());
  ASSERT_TRUE(r.stream.try_next());
  EXPECT_FALSE(r.stream.ended());  // ring 1 is still open
  EXPECT_FALSE(r.stream.next(1ms));
  r.publish(1, 0);
  r.producers[1].close();
  EXPECT_FALSE(r.stream.ended());  // ring 1 still holds a batch
  ASSERT_TRUE(r.stream.next());
  EXPECT_FALSE(r.stream.next());
  EXPECT_TRUE(r.stream.ended());
}

TEST(BatchStream, BlockingNextWakesForABatchFromAnotherThread) {
  Rings r(2);
  std::thread producer([&] {
    std::this_thread::sleep_for(20ms);  // let the consumer fall asleep
    r.publish(1, 42, 3);
  });
  auto lease = r.stream.next();
  producer.join();
  ASSERT_TRUE(lease);
  EXPECT_TRUE(test::is_batch(**lease, 1, 42, 3));
}

TEST(BatchStream, BlockingNextWakesForTheEnd) {
  Rings r(1);
  std::thread closer([&] {
    std::this_thread::sleep_for(20ms);
    r.producers[0].close();
  });
  EXPECT_FALSE(r.stream.next());
  closer.join();
  EXPECT_TRUE(r.stream.ended());
}

TEST(BatchStream, AnIdleBlockedConsumerSleepsInsteadOfSpinning) {
  Rings r(1);
  std::thread producer([&] {
    std::this_thread::sleep_for(200ms);
    r.publish(0, 0);
  });
  ASSERT_TRUE(r.stream.next());
  producer.join();
  // 200 ms idle: a spinning consumer would have polled millions of times. This one polls for
  // at most its spin budget (50 us: a few thousand rounds) before each sleep, and sleeps until
  // woken (spurious futex wake-ups aside).
  const BatchStreamStats s = r.stream.stats();
  EXPECT_GE(s.sleeps, 1U);
  EXPECT_LT(s.polls, 50'000U) << "sleeps " << s.sleeps;
}

TEST(BatchStream, LeasesCanBeHeldAndReleasedOutOfOrder) {
  Rings r(1);
  for (std::uint64_t i = 0; i < 3; ++i) {
    r.publish(0, i);
  }
  auto a = r.stream.try_next();
  auto b = r.stream.try_next();
  auto c = r.stream.try_next();
  ASSERT_TRUE(a && b && c);
  b.reset();
  BatchLease moved = std::move(*c);
  EXPECT_FALSE(*c);  // NOLINT(bugprone-use-after-move): a moved-from lease is empty
  EXPECT_TRUE(test::is_batch(*moved, 0, 2, 2));
  moved = std::move(*a);  // releases batch 2, takes batch 0
  EXPECT_TRUE(test::is_batch(*moved, 0, 0, 2));
}

TEST(BatchStream, ALeaseMaySwapTheRowsOut) {
  Rings r(1);
  r.publish(0, 5, 4);
  auto lease = r.stream.try_next();
  ASSERT_TRUE(lease);
  std::vector<TradeOrNbbo> mine;
  lease->get().rows.swap(mine);  // zero-copy hand-off to the application
  EXPECT_EQ(mine.size(), 4U);
  lease->reset();
  Batch* b = r.producers[0].acquire();
  ASSERT_NE(b, nullptr);
  EXPECT_TRUE(b->rows.empty());
}

TEST(BatchStream, MovingTheStreamKeepsItsBatches) {
  Rings r(1);
  r.publish(0, 0);
  BatchStream other = std::move(r.stream);
  EXPECT_TRUE(r.stream.ended());  // NOLINT(bugprone-use-after-move): moved-from is empty
  EXPECT_TRUE(other.try_next());
  BatchStream third;
  third = std::move(other);
  r.publish(0, 1);
  EXPECT_TRUE(third.try_next());
}

TEST(BatchStream, RunCallbackDeliversEveryBatchUntilTheEnd) {
  Rings r(2);
  std::thread producer([&] {
    for (std::uint64_t i = 0; i < 100; ++i) {
      r.publish(i % 2, i / 2);
      if (i % 10 == 0) {
        std::this_thread::sleep_for(1ms);
      }
    }
    r.close_all();
  });
  std::vector<std::uint64_t> next_seq(2, 0);
  const std::uint64_t n = run_callback(r.stream, [&](const DataBatch<TradeOrNbbo>& batch) {
    const std::size_t p = batch.meta.shard_id;
    EXPECT_TRUE(test::is_batch(batch, p, next_seq[p]++, 2));
  });
  producer.join();
  EXPECT_EQ(n, 100U);
  EXPECT_EQ(next_seq, (std::vector<std::uint64_t>{50, 50}));
}

TEST(BatchStream, RunCallbackReleasesTheBatchWhenTheCallbackThrows) {
  Rings r(1, 4);
  for (std::uint64_t i = 0; i < 3; ++i) {
    r.publish(0, i);
  }
  EXPECT_THROW(run_callback(r.stream, [](const DataBatch<TradeOrNbbo>&) { throw std::runtime_error("no"); }),
               std::runtime_error);
  // The first batch went back; the stream goes on with the second.
  auto lease = r.stream.try_next();
  ASSERT_TRUE(lease);
  EXPECT_TRUE(test::is_batch(**lease, 0, 1, 2));
}

static_assert(std::input_iterator<BatchStream::iterator>);
static_assert(std::sentinel_for<std::default_sentinel_t, BatchStream::iterator>);

TEST(BatchStream, TheSpinBudgetIsTheConsumersToSet) {
  Rings r(1);
  EXPECT_EQ(r.stream.spin_budget(), 50us);
  r.stream.set_spin_budget(-3us);
  EXPECT_EQ(r.stream.spin_budget(), 0ns);
  r.stream.set_spin_budget(1h);
  EXPECT_EQ(r.stream.spin_budget(), 1s) << "clamped";
  BatchStream empty;
  empty.set_spin_budget(1ms);
  EXPECT_EQ(empty.spin_budget(), 0ns);
}

TEST(BatchStream, NoSpinSleepsAtOnceAndALongSpinStillKeepsTheTimeout) {
  Rings r(1);
  r.stream.set_spin_budget(0ns);
  EXPECT_FALSE(r.stream.next(20ms));
  // Each wait round polls once, then spins kSpinCheck (32) polls when the budget is 0, then
  // sleeps; the timeout's round ends in one more poll (or a cancelled sleep and one more round).
  // A 50 us spin would poll thousands of times.
  const BatchStreamStats s = r.stream.stats();
  EXPECT_GE(s.sleeps, 1U);
  EXPECT_LE(s.polls, 33 * (s.sleeps + 2)) << "sleeps " << s.sleeps;

  // A budget far longer than the timeout: next() spins until its deadline, not the budget's end,
  // and does not sleep (the deadline has passed when the spin ends).
  Rings q(1);
  q.stream.set_spin_budget(1s);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(q.stream.next(20ms));
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, 20ms);
  EXPECT_LT(took, 900ms) << "the 1 s spin ran to its end";
  EXPECT_EQ(q.stream.stats().sleeps, 0U);

  // Nor does a long spin hold back the end of the stream.
  std::thread closer([&] {
    std::this_thread::sleep_for(5ms);
    q.close_all();
  });
  const auto before_end = std::chrono::steady_clock::now();
  EXPECT_FALSE(q.stream.next());
  closer.join();
  EXPECT_LT(std::chrono::steady_clock::now() - before_end, 900ms) << "the end waited for the 1 s spin";
  EXPECT_TRUE(q.stream.ended());
}
