// Copyright (c) James Kassemi, SC, US. All rights reserved.
#include "mutate.hpp"

namespace ws_source::test_support {

std::string mutate(std::string s, unsigned op, std::size_t pos, std::size_t len, char byte) {
  if (s.empty()) {
    return std::string(1, byte);
  }
  pos %= s.size();
  len = 1 + len % 8;
  const auto ubyte = static_cast<unsigned char>(byte);
  switch (op % 7) {
    case 0:
      s[pos] = static_cast<char>(s[pos] ^ (1 << (ubyte % 8)));
      break;
    case 1:
      s[pos] = byte;
      break;
    case 2:
      s.insert(pos, 1, byte);
      break;
    case 3:
      s.erase(pos, len);
      break;
    case 4:
      s.insert(pos, s.substr(pos, len));
      break;
    case 5:
      s.resize(pos);
      break;
    default:
      for (std::size_t d = pos; d < s.size(); ++d) {
        if (s[d] >= '0' && s[d] <= '9') {
          s[d] = static_cast<char>('0' + ubyte % 10);
          break;
        }
      }
      break;
  }
  return s;
}

}  // namespace ws_source::test_support
