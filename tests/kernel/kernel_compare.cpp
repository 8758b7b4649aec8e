// Copyright (c) James Kassemi, SC, US. All rights reserved.
// kernel_compare <all-fallback brief dump> <haswell brief dump>: checks the whole-parse rule of
// compare_kernels.cmake: every frame the second accepts, the first accepts with the identical
// result; frames only the first accepts are counted. Exit 1 on any other difference.
#include <fstream>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: " << argv[0] << " <portable dump> <simd dump>\n";
    return 2;
  }
  std::ifstream a(argv[1]);
  std::ifstream b(argv[2]);
  std::string la;
  std::string lb;
  long frames = 0;
  long alike = 0;
  long only_portable = 0;
  while (true) {
    const bool ga = static_cast<bool>(std::getline(a, la));
    const bool gb = static_cast<bool>(std::getline(b, lb));
    if (!ga || !gb) {
      if (ga != gb) {
        std::cerr << "the dumps have different lengths\n";
        return 1;
      }
      break;
    }
    ++frames;
    const bool ok_a = la.find(" ok ") != std::string::npos;
    const bool ok_b = lb.find(" ok ") != std::string::npos;
    if (la == lb) {
      alike += ok_a ? 1 : 0;
    } else if (ok_a && !ok_b) {
      ++only_portable;
    } else {
      std::cerr << "whole parse disagrees: portable '" << la << "' vs simd '" << lb << "'\n";
      return 1;
    }
  }
  std::cout << "whole parse, all-fallback vs haswell: " << frames << " frames, " << alike << " accepted alike, "
            << only_portable << " accepted only by the portable stage 1 (malformed bytes in skipped values)\n";
  return frames > 0 ? 0 : 1;
}
