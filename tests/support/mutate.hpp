// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

// One random edit of a frame, shared by the property tests and the kernel corpus.

#include <cstddef>
#include <string>

namespace ws_source::test_support {

/// `s` with one edit at `pos % size`: op % 7 = 0 flip a bit, 1 replace a byte with `byte`, 2 insert
/// `byte`, 3 erase 1-8 bytes, 4 duplicate 1-8 bytes, 5 truncate, 6 change the next digit to
/// `byte % 10` (the frame often stays valid). An empty `s` becomes `byte`.
std::string mutate(std::string s, unsigned op, std::size_t pos, std::size_t len, char byte);

}  // namespace ws_source::test_support
