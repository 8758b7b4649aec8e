// Copyright (c) James Kassemi, SC, US. All rights reserved.
// Two and more threads: producers publish in bursts with pauses, so that the consumer keeps
// falling asleep in a blocking next() and must be woken every time. A lost wake-up hangs
// next() (the watchdog aborts the test) or, with next(timeout), returns nothing before the
// end. Every batch must arrive exactly once, in order per producer, and the pool must stop
// growing once warm. Run under ThreadSanitizer too (preset tsan, label threaded).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "stream/batch_producer.hpp"
#include "stream/batch_stream_builder.hpp"
#include "stream/cpu_relax.hpp"
#include "stream/stream_core.hpp"
#include "stream_test_support.hpp"

using namespace ws_source;
using namespace std::chrono_literals;
using detail::Batch;
using detail::BatchProducer;
using detail::BatchStreamBuilder;

namespace {

// The stream of `builder` with a spin budget of 0 (a few microseconds of polls, then sleep): the wake-up
// protocol is only exercised when the consumer falls asleep, and the default 50 us budget would
// spin through most of these tests' pauses.
BatchStream sleepy(BatchStreamBuilder&& builder) {
  BatchStream stream = std::move(builder).build();
  stream.set_spin_budget(0ns);
  return stream;
}

// Aborts the process if a test does not finish in time: a lost wake-up would otherwise block
// next() forever.
class Watchdog {
 public:
  explicit Watchdog(std::chrono::seconds limit) : thread_([this, limit] { run(limit); }) {}
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;
  ~Watchdog() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }

 private:
  void run(std::chrono::seconds limit) {
    std::unique_lock lock(mutex_);
    if (!cv_.wait_for(lock, limit, [this] { return done_; })) {
      std::fprintf(stderr, "watchdog: the test did not finish in %lld s (a lost wake-up?)\n",
                   static_cast<long long>(limit.count()));
      std::abort();
    }
  }
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_{false};
  std::thread thread_;
};

// Publishes `batches` batches in bursts of 1..max_burst with pauses of 0..max_pause between
// them, retrying (with a yield) when the ring or the pool is full so that every batch arrives.
void produce(BatchProducer& producer, std::size_t id, std::uint64_t batches, std::uint32_t seed, int max_burst,
             std::chrono::microseconds max_pause) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> burst(1, max_burst);
  std::uniform_int_distribution<long long> pause(0, max_pause.count());
  std::uint64_t seq = 0;
  while (seq < batches) {
    for (int n = burst(rng); n > 0 && seq < batches; --n) {
      for (;;) {
        Batch* b = producer.acquire();
        if (b != nullptr) {
          test::fill(*b, id, seq, 1 + seq % 3);
          if (producer.publish(b)) {
            break;
          }
        }
        std::this_thread::yield();
      }
      ++seq;
    }
    const auto p = pause(rng);
    if (p > 0) {
      std::this_thread::sleep_for(std::chrono::microseconds(p));
    }
  }
  producer.close();
}

struct Received {
  std::vector<std::uint64_t> received;
  bool in_order{true};
  bool timed_out_early{false};
};

// Drains the stream with next() (or next(timeout)), checking each producer's order.
Received consume(BatchStream& stream, std::size_t producers, std::optional<std::chrono::nanoseconds> timeout) {
  Received r;
  r.received.assign(producers, 0);
  for (;;) {
    auto lease = timeout ? stream.next(*timeout) : stream.next();
    if (!lease) {
      if (!stream.ended()) {
        r.timed_out_early = true;  // nothing for `timeout` while producers were still running
      }
      break;
    }
    const std::size_t p = (*lease)->meta.shard_id;
    if (p >= producers || !test::is_batch(**lease, p, r.received[p], 1 + r.received[p] % 3)) {
      r.in_order = false;
    }
    ++r.received[p < producers ? p : 0];
  }
  return r;
}

}  // namespace

TEST(StreamStress, NoLostWakeUpsWithOneProducerAndABlockingConsumer) {
  const Watchdog dog(90s);
  BatchStreamBuilder builder;
  BatchProducer producer = builder.add_channel({.capacity = 16, .lease_allowance = 4});
  BatchStream stream = sleepy(std::move(builder));
  constexpr std::uint64_t kBatches = 30'000;
  std::thread t([&] { produce(producer, 0, kBatches, 1, 24, 150us); });
  const Received r = consume(stream, 1, std::nullopt);
  t.join();
  EXPECT_TRUE(r.in_order);
  EXPECT_EQ(r.received[0], kBatches);
  EXPECT_TRUE(stream.ended());
  // The consumer really did go to sleep and get woken, again and again.
  EXPECT_GT(stream.stats().sleeps, 20U);
  // The pool stays within its bound (16 + 4) and the producer's stats add up.
  const auto s = producer.stats();
  EXPECT_LE(s.pool_allocations, 20U);
  EXPECT_EQ(s.published, kBatches);
  EXPECT_EQ(s.taken, kBatches);
}

TEST(StreamStress, PingPongEveryBatchMustWakeTheConsumer) {
  // The producer publishes one batch and waits until the consumer has taken it before the next:
  // no later publish can cover for a missed wake-up. Random pauses before each publish let the
  // consumer reach every stage of falling asleep (spinning, announcing, sleeping) when the batch
  // arrives. A lost wake-up makes next(5 s) sleep until its deadline.
  //
  // Bounded by rounds and by time: on a loaded machine a round costs scheduler time slices, so
  // the producer stops after kBudget once it has done kMinRounds (the count is checked below).
  const Watchdog dog(120s);
  BatchStreamBuilder builder;
  BatchProducer producer = builder.add_channel({.capacity = 4, .lease_allowance = 2});
  BatchStream stream = sleepy(std::move(builder));
  constexpr std::uint64_t kRounds = 20'000;
  constexpr std::uint64_t kMinRounds = 2'000;
  constexpr auto kBudget = 10s;
  constexpr auto kPatience = 5s;
  std::atomic<std::uint64_t> taken{0};
  std::atomic<bool> failed{false};
  std::uint64_t published = 0;
  std::thread t([&] {
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> pause(0, 40);
    const auto until = std::chrono::steady_clock::now() + kBudget;
    for (std::uint64_t i = 0; i < kRounds && !failed.load(); ++i) {
      if (i >= kMinRounds && std::chrono::steady_clock::now() > until) break;
      const int p = pause(rng);
      if (p > 30) {
        std::this_thread::sleep_for(std::chrono::microseconds(p - 30));
      } else {
        // A busy pause (not yield(): on a loaded machine each yield can cost a time slice).
        for (int k = 0; k < p * 20; ++k) {
          detail::cpu_relax();
        }
      }
      Batch* b = producer.acquire();
      ASSERT_NE(b, nullptr);
      test::fill(*b, 0, i, 1);
      ASSERT_TRUE(producer.publish(b));
      published = i + 1;
      while (taken.load(std::memory_order_acquire) <= i && !failed.load()) {
        std::this_thread::yield();
      }
    }
    producer.close();
  });
  std::uint64_t i = 0;
  for (;; ++i) {
    const auto asked = std::chrono::steady_clock::now();
    auto lease = stream.next(kPatience);
    if (!lease && stream.ended()) break;
    // The batch is published within microseconds; only a missed wake-up makes next() sleep to
    // its deadline (and then find the batch on its way out).
    if (!lease || std::chrono::steady_clock::now() - asked >= kPatience) {
      failed = true;
      ADD_FAILURE() << "no wake-up for round " << i << " within " << kPatience.count() << " s: a lost wake-up";
      break;
    }
    EXPECT_TRUE(test::is_batch(**lease, 0, i, 1));
    lease.reset();
    taken.store(i + 1, std::memory_order_release);
  }
  t.join();
  EXPECT_GE(i, kMinRounds);
  EXPECT_EQ(i, published);
  EXPECT_FALSE(stream.next(10ms));
  EXPECT_TRUE(stream.ended());
  EXPECT_GT(stream.stats().sleeps, i / 10);
}

namespace ws_source::detail {
// GoogleTest's name for a stage (instead of a byte dump).
void PrintTo(SleepStage stage, std::ostream* os) { *os << "stage " << static_cast<int>(stage); }
}  // namespace ws_source::detail

namespace {

// The stage of falling asleep that stretch() widens (the hook runs on the consumer thread).
std::atomic<int> g_stretched_stage{-1};

// Busy-waits a pseudo-random 0-40 us at the stage under test, so that producers land in every
// race window of the wake-up protocol.
void stretch(detail::SleepStage stage) noexcept {
  thread_local std::uint32_t x = 12345;
  if (static_cast<int>(stage) != g_stretched_stage.load(std::memory_order_relaxed)) {
    return;
  }
  x = x * 1664525U + 1013904223U;
  const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds((x >> 8) % 40);
  while (std::chrono::steady_clock::now() < until) {
  }
}

}  // namespace

class StretchedRaceWindows : public testing::TestWithParam<detail::SleepStage> {};

TEST_P(StretchedRaceWindows, PingPong) {
  // As above, with one window between "the rings are empty" and "asleep" widened: a protocol
  // that announced the sleep without looking again, or read the wake word too late, fails here
  // (each of those mistakes, made on purpose, was caught by this test).
  g_stretched_stage = static_cast<int>(GetParam());
  detail::set_sleep_stage_hook_for_testing(&stretch);
  const Watchdog dog(120s);
  BatchStreamBuilder builder;
  BatchProducer producer = builder.add_channel({.capacity = 4, .lease_allowance = 2});
  BatchStream stream = sleepy(std::move(builder));
  constexpr std::uint64_t kRounds = 8'000;
  constexpr auto kPatience = 5s;
  std::atomic<std::uint64_t> taken{0};
  std::atomic<bool> failed{false};
  std::thread t([&] {
    std::mt19937 rng(11);
    std::uniform_int_distribution<int> pause(0, 50);
    for (std::uint64_t i = 0; i < kRounds && !failed.load(); ++i) {
      const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(pause(rng));
      while (std::chrono::steady_clock::now() < until) {
      }
      Batch* b = producer.acquire();
      ASSERT_NE(b, nullptr);
      test::fill(*b, 0, i, 1);
      ASSERT_TRUE(producer.publish(b));
      while (taken.load(std::memory_order_acquire) <= i && !failed.load()) {
        std::this_thread::yield();
      }
    }
    producer.close();
  });
  std::uint64_t i = 0;
  for (; i < kRounds; ++i) {
    const auto asked = std::chrono::steady_clock::now();
    auto lease = stream.next(kPatience);
    if (!lease || std::chrono::steady_clock::now() - asked >= kPatience) {
      failed = true;
      ADD_FAILURE() << "no wake-up for round " << i << " within " << kPatience.count() << " s: a lost wake-up";
      break;
    }
    EXPECT_TRUE(test::is_batch(**lease, 0, i, 1));
    lease.reset();
    taken.store(i + 1, std::memory_order_release);
  }
  t.join();
  detail::set_sleep_stage_hook_for_testing(nullptr);
  EXPECT_EQ(i, kRounds);
  EXPECT_GT(stream.stats().sleeps, kRounds / 10);
}

INSTANTIATE_TEST_SUITE_P(Stages, StretchedRaceWindows,
                         testing::Values(detail::SleepStage::BeforePrepare, detail::SleepStage::BeforeRecheck,
                                         detail::SleepStage::BeforeWait),
                         [](const testing::TestParamInfo<detail::SleepStage>& stage) {
                           switch (stage.param) {
                             case detail::SleepStage::BeforePrepare:
                               return std::string("BeforePrepare");
                             case detail::SleepStage::BeforeRecheck:
                               return std::string("BeforeRecheck");
                             case detail::SleepStage::BeforeWait:
                               break;
                           }
                           return std::string("BeforeWait");
                         });

TEST(StreamStress, NoLostWakeUpsWithTimedWaits) {
  const Watchdog dog(90s);
  BatchStreamBuilder builder;
  BatchProducer producer = builder.add_channel({.capacity = 8, .lease_allowance = 2});
  BatchStream stream = sleepy(std::move(builder));
  constexpr std::uint64_t kBatches = 20'000;
  std::thread t([&] { produce(producer, 0, kBatches, 2, 8, 300us); });
  // The producer never pauses for more than 0.3 ms; 10 s without a batch means one was missed.
  const Received r = consume(stream, 1, 10s);
  t.join();
  EXPECT_FALSE(r.timed_out_early);
  EXPECT_TRUE(r.in_order);
  EXPECT_EQ(r.received[0], kBatches);
}

TEST(StreamStress, SeveralProducersOneConsumer) {
  const Watchdog dog(120s);
  constexpr std::size_t kProducers = 3;
  constexpr std::uint64_t kBatches = 10'000;
  BatchStreamBuilder builder;
  std::vector<BatchProducer> producers;
  for (std::size_t i = 0; i < kProducers; ++i) {
    producers.push_back(builder.add_channel({.capacity = 32, .lease_allowance = 4}));
  }
  BatchStream stream = sleepy(std::move(builder));
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < kProducers; ++i) {
    threads.emplace_back([&, i] { produce(producers[i], i, kBatches, static_cast<std::uint32_t>(10 + i), 40, 200us); });
  }
  const Received r = consume(stream, kProducers, std::nullopt);
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_TRUE(r.in_order);
  EXPECT_EQ(r.received, std::vector<std::uint64_t>(kProducers, kBatches));
  for (const auto& p : producers) {
    EXPECT_LE(p.stats().pool_allocations, 36U);
  }
}

TEST(StreamStress, RangeForConsumerWithHeldLeases) {
  // The consumer keeps the last few leases (a sliding window) while the producer floods: the
  // producer sees a full ring or an empty pool and retries, nothing is lost or duplicated.
  const Watchdog dog(90s);
  BatchStreamBuilder builder;
  BatchProducer producer = builder.add_channel({.capacity = 4, .lease_allowance = 6});
  BatchStream stream = std::move(builder).build();
  constexpr std::uint64_t kBatches = 20'000;
  std::thread t([&] { produce(producer, 0, kBatches, 3, 64, 20us); });
  std::uint64_t expected = 0;
  bool in_order = true;
  std::vector<BatchLease> window;
  while (auto lease = stream.next()) {
    in_order = in_order && test::is_batch(**lease, 0, expected, 1 + expected % 3);
    ++expected;
    window.push_back(std::move(*lease));
    if (window.size() > 4) {
      window.erase(window.begin());
    }
  }
  window.clear();
  t.join();
  EXPECT_TRUE(in_order);
  EXPECT_EQ(expected, kBatches);
  EXPECT_LE(producer.stats().pool_allocations, 10U);
}
