// Copyright (c) James Kassemi, SC, US. All rights reserved.
// ws-parse-frame: parses Massive WebSocket frames (one per file argument, or stdin) and prints
// the rows, statuses and errors ws-source makes of them.
//
//   ws-parse-frame testdata/golden/valid/option_quote.json
//   echo '[{"ev":"T","sym":"AAPL","x":4,"i":"1","p":1.5,"s":10,"t":1732546800123,"q":1}]' | ws-parse-frame
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

#include "ws_source/ws_source.hpp"

namespace {

int parse_one(ws_source::Parser& parser, ws_source::ParsedFrame& frame, const std::string& name,
              const std::string& bytes) {
  auto result = parser.parse(bytes, ws_source::FrameContext::now(), frame);
  if (!result) {
    std::cout << name << ": error " << ws_source::to_string(result.error().kind) << ": " << result.error() << '\n';
    return 1;
  }
  for (const auto& batch : frame.batches) {
    std::cout << "batch " << batch.meta << '\n';
    for (const auto& row : batch.rows) {
      std::cout << "  " << row << '\n';
    }
  }
  for (const auto& status : frame.statuses) {
    std::cout << status << '\n';
  }
  if (frame.skipped_events > 0) {
    std::cout << "skipped " << frame.skipped_events
              << " event(s) of types not ingested (first: " << frame.first_skipped_ev << ")\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  ws_source::Parser parser;
  ws_source::ParsedFrame frame;
  std::cerr << "ws-source " << ws_source::kVersion << ", simdjson kernel " << ws_source::parser_kernel() << '\n';
  int failures = 0;
  if (argc < 2) {
    std::string bytes{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
    failures += parse_one(parser, frame, "stdin", bytes);
  }
  for (int i = 1; i < argc; ++i) {
    std::ifstream in(argv[i], std::ios::binary);
    if (!in) {
      std::cerr << argv[i] << ": cannot open\n";
      ++failures;
      continue;
    }
    std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    failures += parse_one(parser, frame, argv[i], bytes);
  }
  return failures == 0 ? 0 : 1;
}
