// Copyright (c) James Kassemi, SC, US. All rights reserved.
// Parses a deterministic corpus (the golden frames, generated valid frames, and seeded random
// mutations of both) and prints the result of every frame as text. Built once per simdjson kernel;
// the kernel_agreement test compares the outputs byte for byte.
//
//   ws_source_kernel_dump_<kernel> <golden dir> <mutations> [brief|general] > out.txt
//
// `general` turns the parser's canonical fast path off (ParserOptions): its output must be
// byte-identical to the default's.
//
// With `brief`, one line per frame: "#i ok <hash of the text>" or "#i error", for the whole-parse
// comparison, where simdjson's stage-1 kernels are allowed to differ on malformed bytes inside
// values ws-source skips (see compare_kernels.cmake).

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "frame_text.hpp"
#include "mutate.hpp"
#include "ws_source/ws_source.hpp"

using namespace ws_source;

int main(int argc, char** argv) {
  if (argc != 3 && argc != 4) {
    std::cerr << "usage: " << argv[0] << " <golden dir> <mutations> [brief|general]\n";
    return 2;
  }
  std::vector<std::string> base;
  std::vector<std::filesystem::path> files;
  for (const char* dir : {"valid", "invalid"}) {
    for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(argv[1]) / dir)) {
      if (e.path().extension() == ".json") {
        files.push_back(e.path());
      }
    }
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    base.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  if (!parser_kernel_supported()) {
    std::cerr << "this CPU cannot run the " << parser_kernel() << " kernel\n";
    return 77;  // ctest SKIP_RETURN_CODE
  }
  const char* forced = std::getenv("SIMDJSON_FORCE_IMPLEMENTATION");
  std::cerr << "kernel " << parser_kernel() << " (simdjson dispatch "
            << (forced != nullptr && *forced != '\0' ? forced : "auto") << "), " << base.size() << " corpus frames\n";
  const long mutations = std::stol(argv[2]);
  const bool brief = argc == 4 && std::string(argv[3]) == "brief";
  const bool general = argc == 4 && std::string(argv[3]) == "general";
  std::mt19937_64 rng(0x5EEDULL);  // fixed: both kernels see the same frames
  Parser parser(ParserOptions{.canonical_fast_path = !general});
  ParsedFrame out;
  const auto ctx = FrameContext::at(1'732'546'801'123'000'000);
  std::string frame;
  std::size_t ok = 0;
  for (long i = 0; i < mutations + static_cast<long>(base.size()); ++i) {
    if (i < static_cast<long>(base.size())) {
      frame = base[static_cast<std::size_t>(i)];
    } else {
      frame = base[rng() % base.size()];
      const int rounds = 1 + static_cast<int>(rng() % 3);
      for (int k = 0; k < rounds; ++k) {
        // Half the edits change a digit (op 6), so that many frames stay valid.
        const auto op = static_cast<unsigned>(rng() % 12);
        const std::size_t pos = rng();  // drawn in a fixed order: every build sees the same frames
        const std::size_t len = rng();
        const auto byte = static_cast<char>(rng() % 256);
        frame = ws_source::test_support::mutate(std::move(frame), op >= 6 ? 6U : op, pos, len, byte);
      }
    }
    auto r = parser.parse(frame, ctx, out);
    std::cout << "#" << i << ' ';
    if (r) {
      ++ok;
      const std::string text = ws_source::test_support::frame_text(out);
      if (brief) {
        std::cout << "ok " << std::hash<std::string>{}(text) << '\n';
      } else {
        std::cout << text;
      }
    } else if (brief) {
      std::cout << "error\n";
    } else {
      std::cout << ws_source::test_support::error_text(r.error());
    }
  }
  std::cerr << ok << " frames parsed, " << (mutations + static_cast<long>(base.size()) - static_cast<long>(ok))
            << " rejected; " << parser.stats().fast_path_frames << " by the canonical fast path\n";
  return 0;
}
