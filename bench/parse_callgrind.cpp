// Copyright (c) James Kassemi, SC, US. All rights reserved.
//
// ws_source_parse_callgrind: parses the shared frame option_quotes_100.json N times with one
// Parser and one ParsedFrame (zero-copy, full validation), for counting instructions per event
// under callgrind. No Google Benchmark: nothing but the parses runs in the measured function.
//
//   ws_source_parse_callgrind [N=1000] [--dom] [frame.json]
//
//   valgrind --tool=callgrind --toggle-collect=ws_source_callgrind_parse_loop
//            --callgrind-out-file=cg.out ./ws_source_parse_callgrind 1000
//   instructions/event = Ir collected / (N x events)   (the program prints N x events)
//
// --dom runs the simdjson DOM baseline of the benchmark instead (the same rows, the same checks,
// on simdjson's runtime-dispatched implementation); its measured function is
// ws_source_callgrind_dom_loop. The frame is read and validated (parsed twice, which also grows
// the row storage) before the measured function runs; with --toggle-collect only the measured
// function and what it calls are counted. See docs/benchmarks.md.

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "bench_frames.hpp"
#include "reference_dom.hpp"
#include "ws_source/parse.hpp"

// The measured function: exactly `n` parses of the frame. extern "C" so that its name for
// --toggle-collect is plain; noinline so that it exists as a function to toggle on.
extern "C" [[gnu::noinline]] std::size_t ws_source_callgrind_parse_loop(ws_source::Parser* parser,
                                                                        const ws_source::bench::PaddedFrame* frame,
                                                                        const ws_source::FrameContext* ctx,
                                                                        ws_source::ParsedFrame* out, long n) {
  std::size_t rows = 0;
  for (long i = 0; i < n; ++i) {
    if (!parser->parse(frame->buffer(), frame->size(), *ctx, *out)) {
      return 0;
    }
    rows += out->row_count();
  }
  return rows;
}

// The same for the DOM baseline.
extern "C" [[gnu::noinline]] std::size_t ws_source_callgrind_dom_loop(ws_source::bench::ReferenceDomParser* parser,
                                                                      const ws_source::bench::PaddedFrame* frame,
                                                                      const ws_source::FrameContext* ctx,
                                                                      ws_source::bench::ReferenceFrame* out, long n) {
  std::size_t rows = 0;
  for (long i = 0; i < n; ++i) {
    if (parser->parse(frame->buffer(), frame->size(), *ctx, *out) != nullptr) {
      return 0;
    }
    rows += out->row_count();
  }
  return rows;
}

int main(int argc, char** argv) {
  long n = 1000;
  bool dom = false;
  bool have_n = false;
  std::string path;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--dom") {
      dom = true;
    } else if (!have_n) {
      char* end = nullptr;
      n = std::strtol(argv[i], &end, 10);
      if (end == argv[i] || *end != '\0' || n < 0) {
        std::fprintf(stderr, "usage: %s [N=1000] [--dom] [frame.json]\n", argv[0]);
        return 2;
      }
      have_n = true;
    } else if (path.empty()) {
      path = arg;
    } else {
      std::fprintf(stderr, "usage: %s [N=1000] [--dom] [frame.json]\n", argv[0]);
      return 2;
    }
  }
  auto shared = ws_source::bench::load_shared_frame(path);
  if (!shared.json) {
    std::fprintf(stderr,
                 "ws_source_parse_callgrind: option_quotes_100.json not found (tried %s); pass its path "
                 "or set WS_SOURCE_BENCH_FRAME\n",
                 shared.tried.c_str());
    return 1;
  }
  if (!ws_source::parser_kernel_supported()) {
    std::fprintf(stderr, "ws_source_parse_callgrind: this CPU cannot run the '%.*s' kernel\n",
                 static_cast<int>(ws_source::parser_kernel().size()), ws_source::parser_kernel().data());
    return 1;
  }
  const ws_source::bench::PaddedFrame frame(*shared.json);
  ws_source::Parser parser;
  ws_source::ParsedFrame out;
  std::string error;
  auto checked = ws_source::bench::check_frame(parser, out, frame, std::nullopt, error);
  if (!checked) {
    std::fprintf(stderr, "ws_source_parse_callgrind: %s: %s\n", shared.path.c_str(), error.c_str());
    return 1;
  }
  std::size_t rows = 0;
  std::string runs = "ws_source::Parser";
  if (dom) {
    ws_source::bench::ReferenceDomParser reference("");
    ws_source::bench::ReferenceFrame ref_out;
    if (!reference.ok()) {
      std::fprintf(stderr, "ws_source_parse_callgrind: DOM reference: %s\n", reference.error().c_str());
      return 1;
    }
    if (const char* e = reference.parse(frame.buffer(), frame.size(), checked->ctx, ref_out)) {  // warm-up
      std::fprintf(stderr, "ws_source_parse_callgrind: the DOM reference rejects the frame: %s\n", e);
      return 1;
    }
    runs = "simdjson DOM reference (" + reference.implementation() + ")";
    rows = ws_source_callgrind_dom_loop(&reference, &frame, &checked->ctx, &ref_out, n);
  } else {
    rows = ws_source_callgrind_parse_loop(&parser, &frame, &checked->ctx, &out, n);
  }
  const std::size_t expected = static_cast<std::size_t>(n) * checked->events;
  if (rows != expected) {
    std::fprintf(stderr, "ws_source_parse_callgrind: %zu rows parsed, expected %zu\n", rows, expected);
    return 1;
  }
  std::printf(
      "parser=%s kernel=%.*s frame=%s bytes=%zu events_per_frame=%zu parses=%ld events=%zu received_at_ns=%lld\n",
      runs.c_str(), static_cast<int>(ws_source::parser_kernel().size()), ws_source::parser_kernel().data(),
      shared.path.c_str(), frame.size(), checked->events, n, expected,
      static_cast<long long>(checked->ctx.received_at_ns));
  return 0;
}
