// Copyright (c) James Kassemi, SC, US. All rights reserved.
// Packaging smoke test: a program outside ws-source that includes the umbrella header, parses
// one frame with the public API and checks the row, then reads a configuration (toml++). Shared by the find_package
// consumer (consumer/) and the add_subdirectory consumer (subdir_consumer/). Exit status 0 only when the frame parses
// into exactly the expected equity trade.
#include <cstdint>
#include <iomanip>
#include <iostream>
#include <span>
#include <string_view>
#include <variant>

#include "ws_source/ws_source.hpp"

namespace {

constexpr std::string_view kFrame =
    R"([{"ev":"T","sym":"AAPL","x":4,"i":"52983525034825","z":3,"p":229.87,"s":100,"c":[12,37],)"
    R"("t":1732546800123,"q":1423581}])";
constexpr double kExpectedPrice = 229.87;
constexpr std::int64_t kExpectedSipTsNs = 1'732'546'800'123'000'000;
constexpr std::int64_t kReceivedAtNs = 1'732'546'801'123'000'000;

int fail(std::string_view what) {
  std::cerr << "consumer: FAIL: " << what << '\n';
  return 1;
}

}  // namespace

int main() {
  std::cout << "consumer: ws-source " << ws_source::kVersion << ", simdjson kernel " << ws_source::parser_kernel()
            << '\n';

  ws_source::Parser parser;
  ws_source::ParsedFrame frame;
  const auto result = parser.parse(std::span<const char>(kFrame.data(), kFrame.size()),
                                   ws_source::FrameContext::at(kReceivedAtNs), frame);
  if (!result) {
    std::cerr << "consumer: parse error: " << result.error() << '\n';
    return 1;
  }
  if (frame.batches.size() != 1) {
    std::cerr << "consumer: " << frame.batches.size() << " batches\n";
    return fail("expected exactly one batch");
  }
  const auto& batch = frame.batches.front();
  std::cout << "consumer: batch " << batch.meta << '\n';
  if (batch.meta.resource_type != ws_source::ResourceType::EquityTrades) {
    return fail("expected an equity trades batch");
  }
  if (batch.rows.size() != 1) {
    std::cerr << "consumer: " << batch.rows.size() << " rows\n";
    return fail("expected exactly one row");
  }
  const auto* trade = std::get_if<ws_source::EquityTrade>(&batch.rows.front());
  if (trade == nullptr) {
    std::cerr << "consumer: row " << batch.rows.front() << '\n';
    return fail("expected an EquityTrade");
  }
  std::cout << "consumer: trade " << *trade << '\n';
  if (trade->symbol != std::string_view("AAPL")) {
    return fail("expected sym AAPL");
  }
  // Exact comparison on purpose: "229.87" must parse to the double nearest 229.87, which is
  // also what the literal is.
  if (trade->price != kExpectedPrice) {
    std::cerr << std::setprecision(17) << "consumer: price " << trade->price << ", expected " << kExpectedPrice << '\n';
    return fail("wrong price");
  }
  if (trade->sip_ts_ns != kExpectedSipTsNs) {
    std::cerr << "consumer: sip_ts_ns " << trade->sip_ts_ns << ", expected " << kExpectedSipTsNs << '\n';
    return fail("wrong sip_ts_ns");
  }
  // The configuration reader (toml++, a shared library the package config finds) links too.
  auto config = ws_source::parse_config("shard_count = 1\napi_keys = [\"consumer-key\"]\n");
  if (!config) {
    std::cerr << "consumer: config error: " << config.error() << '\n';
    return 1;
  }
  if (auto valid = ws_source::validate(*config); !valid) {
    std::cerr << "consumer: config error: " << valid.error() << '\n';
    return 1;
  }
  std::cout << "consumer: config OK, key " << config->api_keys.front() << ", "
            << ws_source::cluster_url(*config, ws_source::Cluster::Options) << '\n';
  std::cout << "consumer: OK\n";
  return 0;
}
