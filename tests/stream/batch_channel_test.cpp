// Copyright (c) James Kassemi, SC, US. All rights reserved.
// The ring and its batch pool, one thread at a time: acquire / publish / take / give back,
// a full ring, an exhausted pool, recycling without allocation, close and a departed consumer.
#include <gtest/gtest.h>

#include <vector>

#include "stream/batch_producer.hpp"
#include "stream/batch_stream_builder.hpp"
#include "stream_test_support.hpp"

using namespace ws_source;
using detail::Batch;
using detail::BatchProducer;
using detail::BatchStreamBuilder;
using detail::ChannelOptions;

namespace {

struct OneRing {
  explicit OneRing(ChannelOptions o) {
    BatchStreamBuilder b;
    producer = b.add_channel(o);
    stream = std::move(b).build();
  }
  BatchProducer producer;
  BatchStream stream;
};

}  // namespace

TEST(BatchChannel, AcquirePublishTakeRelease) {
  OneRing r({.capacity = 4, .lease_allowance = 2});
  Batch* b = r.producer.acquire();
  ASSERT_NE(b, nullptr);
  EXPECT_TRUE(b->rows.empty());
  test::fill(*b, 0, 7, 3);
  ASSERT_TRUE(r.producer.publish(b));
  EXPECT_EQ(r.producer.stats().published, 1U);
  EXPECT_EQ(r.producer.stats().depth(), 1U);

  auto lease = r.stream.try_next();
  ASSERT_TRUE(lease);
  EXPECT_TRUE(test::is_batch(**lease, 0, 7, 3));
  EXPECT_EQ(&lease->get(), b);  // the producer's storage itself: no copy
  EXPECT_EQ((*lease)->rows.size(), 3U);
  EXPECT_EQ(r.producer.stats().taken, 1U);
  EXPECT_EQ(r.producer.stats().depth(), 0U);
  lease->reset();
  EXPECT_FALSE(*lease);

  // The same storage comes back, emptied, with its row capacity.
  Batch* again = r.producer.acquire();
  EXPECT_EQ(again, b);
  EXPECT_TRUE(again->rows.empty());
  EXPECT_GE(again->rows.capacity(), 3U);
  EXPECT_EQ(again->meta, BatchMeta{});
  EXPECT_EQ(r.producer.stats().pool_allocations, 1U);
}

TEST(BatchChannel, AFullRingRejectsAndKeepsTheStorage) {
  OneRing r({.capacity = 2, .lease_allowance = 2});
  for (std::uint64_t i = 0; i < 2; ++i) {
    Batch* b = r.producer.acquire();
    test::fill(*b, 0, i, 1);
    ASSERT_TRUE(r.producer.publish(b));
  }
  Batch* third = r.producer.acquire();
  ASSERT_NE(third, nullptr);
  test::fill(*third, 0, 2, 5);
  EXPECT_FALSE(r.producer.publish(third));
  EXPECT_EQ(r.producer.stats().rejected_full, 1U);
  // The rejected batch is the next one handed out, emptied.
  Batch* fourth = r.producer.acquire();
  EXPECT_EQ(fourth, third);
  EXPECT_TRUE(fourth->rows.empty());
  r.producer.discard(fourth);
  EXPECT_EQ(r.producer.stats().pool_allocations, 3U);

  // The two queued batches are still delivered, in order.
  for (std::uint64_t i = 0; i < 2; ++i) {
    auto lease = r.stream.try_next();
    ASSERT_TRUE(lease);
    EXPECT_TRUE(test::is_batch(**lease, 0, i, 1));
  }
  EXPECT_FALSE(r.stream.try_next());
}

TEST(BatchChannel, AnExhaustedPoolReturnsNull) {
  // Pool = capacity 2 + allowance 2 = 4 batches. The consumer holds every one of them.
  OneRing r({.capacity = 2, .lease_allowance = 2});
  std::vector<BatchLease> held;
  for (std::uint64_t i = 0; i < 4; ++i) {
    Batch* b = r.producer.acquire();
    ASSERT_NE(b, nullptr) << i;
    test::fill(*b, 0, i, 1);
    ASSERT_TRUE(r.producer.publish(b));
    auto lease = r.stream.try_next();
    ASSERT_TRUE(lease);
    held.push_back(std::move(*lease));
  }
  EXPECT_EQ(r.producer.acquire(), nullptr);
  EXPECT_EQ(r.producer.stats().acquire_failed, 1U);
  EXPECT_EQ(r.producer.stats().pool_allocations, 4U);
  held.pop_back();  // one lease released: one batch free again
  EXPECT_NE(r.producer.acquire(), nullptr);
  EXPECT_EQ(r.producer.acquire(), nullptr);
  EXPECT_EQ(r.producer.stats().pool_allocations, 4U);
}

TEST(BatchChannel, SteadyStateAllocatesNoNewBatches) {
  OneRing r({.capacity = 8, .lease_allowance = 4});
  std::uint64_t seq = 0;
  auto round = [&](int burst) {
    for (int i = 0; i < burst; ++i) {
      Batch* b = r.producer.acquire();
      ASSERT_NE(b, nullptr);
      test::fill(*b, 0, seq++, 10);
      ASSERT_TRUE(r.producer.publish(b));
    }
    for (int i = 0; i < burst; ++i) {
      auto lease = r.stream.try_next();
      ASSERT_TRUE(lease);
    }
  };
  for (int i = 0; i < 10; ++i) {
    round(5);  // warm-up: the pool grows to what a burst needs
  }
  const auto warm = r.producer.stats().pool_allocations;
  EXPECT_LE(warm, 6U);
  for (int i = 0; i < 1000; ++i) {
    round(5);
  }
  EXPECT_EQ(r.producer.stats().pool_allocations, warm);
  EXPECT_EQ(r.producer.stats().acquire_failed, 0U);
}

TEST(BatchChannel, CloseEndsTheStreamAfterTheQueuedBatches) {
  OneRing r({.capacity = 4, .lease_allowance = 2});
  Batch* b = r.producer.acquire();
  test::fill(*b, 0, 0, 1);
  ASSERT_TRUE(r.producer.publish(b));
  r.producer.close();
  r.producer.close();  // idempotent
  EXPECT_FALSE(r.stream.ended());
  auto lease = r.stream.next();
  ASSERT_TRUE(lease);
  EXPECT_TRUE(test::is_batch(**lease, 0, 0, 1));
  EXPECT_FALSE(r.stream.next());
  EXPECT_TRUE(r.stream.ended());
  EXPECT_FALSE(r.stream.try_next());
}

TEST(BatchChannel, DestroyingTheProducerClosesIt) {
  BatchStreamBuilder builder;
  auto producer = std::make_unique<BatchProducer>(builder.add_channel({.capacity = 4, .lease_allowance = 2}));
  BatchStream stream = std::move(builder).build();
  EXPECT_FALSE(stream.ended());
  producer.reset();
  EXPECT_FALSE(stream.next());
  EXPECT_TRUE(stream.ended());
}

TEST(BatchChannel, PublishFailsOnceTheConsumerIsGone) {
  BatchStreamBuilder builder;
  BatchProducer producer = builder.add_channel({.capacity = 4, .lease_allowance = 2});
  std::optional<BatchStream> stream(std::move(builder).build());
  EXPECT_FALSE(producer.consumer_gone());
  stream.reset();
  EXPECT_TRUE(producer.consumer_gone());
  Batch* b = producer.acquire();
  ASSERT_NE(b, nullptr);
  test::fill(*b, 0, 0, 2);
  EXPECT_FALSE(producer.publish(b));
  EXPECT_EQ(producer.stats().rejected_gone, 1U);
  EXPECT_EQ(producer.stats().rejected_full, 0U);
}

TEST(BatchChannel, ALeaseMayOutliveItsStream) {
  BatchStreamBuilder builder;
  BatchProducer producer = builder.add_channel({.capacity = 4, .lease_allowance = 2});
  std::optional<BatchStream> stream(std::move(builder).build());
  Batch* b = producer.acquire();
  test::fill(*b, 0, 3, 4);
  ASSERT_TRUE(producer.publish(b));
  std::optional<BatchLease> lease = stream->try_next();
  ASSERT_TRUE(lease);
  stream.reset();  // the lease keeps the consumer side alive
  EXPECT_TRUE(test::is_batch(**lease, 0, 3, 4));
  lease.reset();  // gives the storage back; the last reference frees the core
  EXPECT_EQ(producer.acquire(), b);
}

TEST(BatchChannel, EmptyStreamsHaveEnded) {
  BatchStream none;
  EXPECT_TRUE(none.ended());
  EXPECT_FALSE(none.try_next());
  EXPECT_FALSE(none.next());
  EXPECT_FALSE(none.next(std::chrono::milliseconds(1)));
  EXPECT_EQ(none.ring_count(), 0U);

  BatchStream zero_rings = BatchStreamBuilder().build();
  EXPECT_TRUE(zero_rings.ended());
  EXPECT_FALSE(zero_rings.next());
  for (const auto& batch : zero_rings) {
    ADD_FAILURE() << "a batch from no ring: " << batch.meta;
  }
}
