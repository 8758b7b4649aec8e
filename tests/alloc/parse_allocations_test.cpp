// Copyright (c) James Kassemi, SC, US. All rights reserved.
// Counts heap allocations around the parser with a replaced global operator new: a warm Parser
// and ParsedFrame allocate nothing per frame and nothing per event. (Its own executable: the
// replacement is process-wide.)
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include "counting_new.hpp"
#include "wire_encoder.hpp"
#include "ws_source/ws_source.hpp"

using namespace ws_source;

namespace {

constexpr std::int64_t kReceivedAtNs = 1'732'546'801'123'000'000;

// A frame of `n` events cycling through the four feeds.
std::string frame_of(int n) {
  std::string out = "[";
  for (int i = 0; i < n; ++i) {
    if (i) {
      out += ',';
    }
    const std::string q = std::to_string(1000 + i);
    switch (i % 4) {
      case 0:
        out +=
            R"({"ev":"Q","sym":"O:SPY251219C00650000","bx":302,"ax":303,"bp":12.4,"ap":12.6,"bs":10,"as":12,"t":1732546800123,"q":)" +
            q + "}";
        break;
      case 1:
        out += R"({"ev":"T","sym":"O:SPY251219C00650000","x":65,"p":12.5,"s":3,"c":[209],"t":1732546800123,"q":)" + q +
               "}";
        break;
      case 2:
        out +=
            R"({"ev":"Q","sym":"MSFT","bx":4,"ax":7,"bp":415.12,"ap":415.15,"bs":3,"as":2,"c":1,"i":[604],"t":1732546800123,"z":3,"q":)" +
            q + "}";
        break;
      default:
        out +=
            R"({"ev":"T","sym":"AAPL","x":4,"i":"52983525034825","z":3,"p":229.87,"s":100,"c":[12,37],"t":1732546800123,"q":)" +
            q + "}";
        break;
    }
  }
  out += ']';
  return out;
}

// Allocations made by `frames` parses of `frame` into a warm parser and frame.
std::size_t steady_state_allocations(const std::string& frame, int frames) {
  Parser parser;
  ParsedFrame out;
  std::string buffer = frame;
  buffer.resize(frame.size() + kParsePadding);  // the zero-copy path
  const auto ctx = FrameContext::at(kReceivedAtNs);
  for (int i = 0; i < 3; ++i) {  // warm up: simdjson's buffers, the row vectors
    EXPECT_TRUE(parser.parse(buffer, frame.size(), ctx, out));
  }
  g_allocations = 0;
  g_counting = true;
  std::size_t rows = 0;
  for (int i = 0; i < frames; ++i) {
    auto r = parser.parse(buffer, frame.size(), ctx, out);
    rows += out.row_count();
    if (!r) {
      break;
    }
  }
  g_counting = false;
  EXPECT_EQ(rows, static_cast<std::size_t>(frames) * out.row_count());
  return g_allocations.load();
}

}  // namespace

TEST(ParseAllocations, CountingWorks) {
  g_allocations = 0;
  g_counting = true;
  auto* p = new std::string(100, 'x');  // NOLINT: a deliberate heap allocation
  g_counting = false;
  delete p;
  EXPECT_GE(g_allocations.load(), 1U);
}

TEST(ParseAllocations, NoneForAWarmOneEventFrame) { EXPECT_EQ(steady_state_allocations(frame_of(1), 1000), 0U); }

TEST(ParseAllocations, NoneForWarmHundredEventFrames) { EXPECT_EQ(steady_state_allocations(frame_of(100), 1000), 0U); }

TEST(ParseAllocations, NoneForWarmTenThousandEventFrames) {
  EXPECT_EQ(steady_state_allocations(frame_of(10'000), 20), 0U);
}

TEST(ParseAllocations, UnpaddedFramesReuseTheScratchBuffer) {
  Parser parser;
  ParsedFrame out;
  const std::string frame = frame_of(100);
  const auto ctx = FrameContext::at(kReceivedAtNs);
  ASSERT_TRUE(parser.parse(frame, ctx, out));
  g_allocations = 0;
  g_counting = true;
  for (int i = 0; i < 100; ++i) {
    (void)parser.parse(frame, ctx, out);
  }
  g_counting = false;
  EXPECT_EQ(g_allocations.load(), 0U);
}

TEST(ParseAllocations, AColdParseGrowsStorageLogarithmicallyNotPerEvent) {
  auto cold = [](const std::string& frame) {
    Parser parser;  // constructed outside the count
    ParsedFrame out;
    g_allocations = 0;
    g_counting = true;
    (void)parser.parse(frame, FrameContext::at(kReceivedAtNs), out);
    g_counting = false;
    return g_allocations.load();
  };
  const std::size_t small = cold(frame_of(100));
  const std::size_t large = cold(frame_of(10'000));
  // 100× the events: vector doubling adds ~7 growth steps per feed, not 9,900 allocations.
  EXPECT_LT(large, small + 4 * 10 + 10) << "small=" << small << " large=" << large;
}
