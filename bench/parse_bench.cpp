// Copyright (c) James Kassemi, SC, US. All rights reserved.
//
// ws_source_parse_bench: the frame parser's throughput with full validation, against a simdjson
// DOM baseline that makes the same rows with the same checks. See docs/benchmarks.md.
//
//   BM_Parse/<feed>/<n>                    ws_source::Parser, zero-copy (padded buffer), one Parser
//                                          and one ParsedFrame reused, n-event generated frames
//   BM_Parse/shared/option_quotes_100      the same on /work/shared/bench-frames/option_quotes_100.json
//   BM_ReferenceDom/...                    the baseline: simdjson::dom::parser into the same rows with
//                                          the same checks, on the implementation simdjson's runtime
//                                          dispatch picks for this CPU
//   BM_ReferenceDomSameKernel/...          the same, pinned to ws_source's WS_SOURCE_SIMDJSON_KERNEL
//                                          (registered only when that is not the dispatched one)
//
// Note (simdjson 3.0.1): the On Demand parser inside ws_source also takes its stage 1 (structural
// indexing) and string unescaping from simdjson's *runtime-dispatched* implementation; the build's
// kernel only selects the inlined value-parsing code. So BM_ReferenceDom shares stage 1 with ours.
// SIMDJSON_FORCE_IMPLEMENTATION=<name> in the environment forces simdjson's dispatch (both).
//
// items_per_second is events/s; bytes_per_second the frame's JSON bytes/s; time_per_event the
// inverse of items_per_second.

#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bench_frames.hpp"
#include "reference_dom.hpp"
#include "ws_source/parse.hpp"

namespace {

using ws_source::FrameContext;
using ws_source::ParsedFrame;
using ws_source::Parser;
using ws_source::bench::CheckedFrame;
using ws_source::bench::PaddedFrame;
using ws_source::bench::ReferenceDomParser;
using ws_source::bench::ReferenceFrame;

// One frame to benchmark. `skip` is set (and the benchmarks report it as an error) when the
// frame is the shared one and no file was found.
struct Case {
  std::string name;
  PaddedFrame frame;
  CheckedFrame checked;
  std::string skip;
};

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "ws_source_parse_bench: %s\n", what.c_str());
  std::exit(1);
}

void report(benchmark::State& state, const Case& c) {
  const auto events = static_cast<std::int64_t>(c.checked.events);
  const auto iterations = static_cast<std::int64_t>(state.iterations());
  state.SetItemsProcessed(iterations * events);
  state.SetBytesProcessed(iterations * static_cast<std::int64_t>(c.frame.size()));
  state.counters["events"] = static_cast<double>(events);
  state.counters["time_per_event"] = benchmark::Counter(static_cast<double>(iterations * events),
                                                        benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void bm_parse(benchmark::State& state, const Case* c) {
  if (!c->skip.empty()) {
    state.SkipWithError(c->skip.c_str());
    return;
  }
  Parser parser;
  ParsedFrame out;
  const FrameContext ctx = c->checked.ctx;
  const auto buffer = c->frame.buffer();
  const std::size_t size = c->frame.size();
  if (!parser.parse(buffer, size, ctx, out)) {  // warm-up: row storage grows once, here
    state.SkipWithError("the frame failed to parse");
    return;
  }
  for (auto _ : state) {
    auto r = parser.parse(buffer, size, ctx, out);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(out);
    if (!r.has_value()) [[unlikely]] {
      state.SkipWithError("the frame failed to parse");
      break;
    }
  }
  report(state, *c);
}

void bm_reference_dom(benchmark::State& state, const Case* c, const std::string* kernel) {
  if (!c->skip.empty()) {
    state.SkipWithError(c->skip.c_str());
    return;
  }
  ReferenceDomParser parser(*kernel);
  if (!parser.ok()) {
    state.SkipWithError(parser.error().c_str());
    return;
  }
  ReferenceFrame out;
  const FrameContext ctx = c->checked.ctx;
  const auto buffer = c->frame.buffer();
  const std::size_t size = c->frame.size();
  if (parser.parse(buffer, size, ctx, out) != nullptr) {
    state.SkipWithError("the DOM reference failed to parse the frame");
    return;
  }
  for (auto _ : state) {
    const char* err = parser.parse(buffer, size, ctx, out);
    benchmark::DoNotOptimize(err);
    benchmark::DoNotOptimize(out);
    if (err != nullptr) [[unlikely]] {
      state.SkipWithError(err);
      break;
    }
  }
  report(state, *c);
}

// Proves, before anything is timed, that the DOM reference on `dom_kernel` ("" for the
// runtime dispatch) makes exactly the rows and batch metadata the library made into `out`.
void check_dom(const Case& c, const ParsedFrame& out, const std::string& dom_kernel) {
  ReferenceDomParser dom(dom_kernel);
  if (!dom.ok()) {
    die("DOM reference (" + (dom_kernel.empty() ? std::string("dispatch") : dom_kernel) + "): " + dom.error());
  }
  ReferenceFrame ref;
  if (const char* e = dom.parse(c.frame.buffer(), c.frame.size(), c.checked.ctx, ref)) {
    die(c.name + ": the DOM reference rejects the frame: " + e);
  }
  std::size_t feeds = 0;
  for (const auto& b : ref.feeds) {
    feeds += b.rows.empty() ? 0 : 1;
  }
  if (feeds != out.batches.size()) {
    die(c.name + ": the DOM reference makes " + std::to_string(feeds) + " batches, the library " +
        std::to_string(out.batches.size()));
  }
  for (const auto& batch : out.batches) {
    if (!(ref.feeds[ws_source::index(batch.meta.resource_type)] == batch)) {
      die(c.name + ": the DOM reference's " + std::string(to_string(batch.meta.resource_type)) +
          " batch differs from the library's");
    }
  }
}

// Proves, before anything is timed, that the frame passes full validation (aborting with a
// message if not) and that every DOM reference agrees with the library on it.
void check_case(Case& c, std::optional<std::size_t> expected_events, const std::vector<std::string>& dom_kernels) {
  Parser parser;
  ParsedFrame out;
  std::string error;
  auto checked = ws_source::bench::check_frame(parser, out, c.frame, expected_events, error);
  if (!checked) {
    die(c.name + ": " + error);
  }
  c.checked = *checked;
  for (const auto& k : dom_kernels) {
    check_dom(c, out, k);
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
    return 1;
  }
  if (!ws_source::parser_kernel_supported()) {
    std::fprintf(stderr,
                 "ws_source_parse_bench: the library was built for the simdjson '%.*s' kernel, which this CPU "
                 "cannot run (rebuild with another -DWS_SOURCE_SIMDJSON_KERNEL)\n",
                 static_cast<int>(ws_source::parser_kernel().size()), ws_source::parser_kernel().data());
    return 1;
  }
  const std::string kernel(ws_source::parser_kernel());
  const std::string dispatch = ws_source::bench::simdjson_dispatch_implementation();
  const bool same_kernel_variant = dispatch != kernel;
  std::vector<std::string> dom_kernels{std::string()};  // "": the runtime dispatch
  if (same_kernel_variant) {
    dom_kernels.push_back(kernel);
  }

  static std::deque<Case> cases;  // stable addresses for the registered benchmarks
  for (auto feed : ws_source::bench::kFeeds) {
    for (std::size_t n : {std::size_t{1}, std::size_t{10}, std::size_t{100}}) {
      Case& c = cases.emplace_back();
      c.name = std::string(feed_name(feed)) + "/" + std::to_string(n);
      c.frame = PaddedFrame(ws_source::bench::make_frame(feed, n));
      check_case(c, n, dom_kernels);
    }
  }
  {
    Case& c = cases.emplace_back();
    c.name = "shared/option_quotes_100";
    auto shared = ws_source::bench::load_shared_frame();
    if (shared.json) {
      c.frame = PaddedFrame(*shared.json);
      check_case(c, std::nullopt, dom_kernels);
      benchmark::AddCustomContext("shared_frame", shared.path + " (" + std::to_string(c.frame.size()) + " bytes, " +
                                                      std::to_string(c.checked.events) + " events)");
    } else {
      c.skip = "shared frame option_quotes_100.json not found (tried " + shared.tried +
               "; set WS_SOURCE_BENCH_FRAME to its path)";
      benchmark::AddCustomContext("shared_frame", "NOT FOUND, tried " + shared.tried);
    }
  }

  benchmark::AddCustomContext("ws_source_kernel", kernel);
  benchmark::AddCustomContext("simdjson_dispatch_kernel",
                              dispatch + " (stage 1 of ws_source's On Demand parser, and BM_ReferenceDom)");
  if (same_kernel_variant) {
    benchmark::AddCustomContext("dom_same_kernel", kernel + " (BM_ReferenceDomSameKernel)");
  }

  static const std::string pinned = kernel;
  static const std::string any;  // empty: simdjson's runtime dispatch
  for (const Case& c : cases) {
    benchmark::RegisterBenchmark(("BM_Parse/" + c.name).c_str(), bm_parse, &c);
  }
  for (const Case& c : cases) {
    benchmark::RegisterBenchmark(("BM_ReferenceDom/" + c.name).c_str(), bm_reference_dom, &c, &any);
  }
  if (same_kernel_variant) {
    for (const Case& c : cases) {
      benchmark::RegisterBenchmark(("BM_ReferenceDomSameKernel/" + c.name).c_str(), bm_reference_dom, &c, &pinned);
    }
  }

  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
