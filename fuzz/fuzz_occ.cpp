// Copyright (c) James Kassemi, SC, US. All rights reserved.
//
// fuzz_occ: the OCC option-symbol parser (OptionContract::parse, src/model/option_contract.cpp)
// and its inverse on arbitrary strings. Checks:
//  - parse never crashes (ASan/UBSan) and, on error, describe() names the error;
//  - on success the input is `O:` + 16-21 bytes, and the contract is sane: root 1-6 bytes of
//    A-Z0-9, a calendar date (is_valid_date) in 2000-2099, strike < 10^8;
//  - to_symbol() rebuilds exactly the input (the format is fixed-width), and parsing that again
//    gives the same contract; the symbol is a valid Symbol;
//  - put_call_pair() flips the right of a valid symbol, parses to the same contract with the
//    other right, and applied twice gives the input back;
//  - operator<< formats the contract; strike() is strike_milli / 1000.
// Inputs without the `O:` prefix are also tried with it prepended, so the fuzzer need not find it.

#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "ws_source/model.hpp"
#include "ws_source/option_contract.hpp"

namespace {

using namespace ws_source;

bool is_root_char(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

void check(std::string_view input) {
  const auto parsed = OptionContract::parse(input);
  if (!parsed) {
    FUZZ_CHECK(!describe(parsed.error()).empty() && describe(parsed.error()) != "invalid", input);
    // A symbol put_call_pair() accepts need not parse, but its answer must be a valid Symbol.
    if (auto sym = Symbol::make(input)) {
      if (auto pair = put_call_pair(*sym)) {
        FUZZ_CHECK(Symbol::make(pair->view()).has_value() && pair->size() == sym->size(), input);
      }
    }
    return;
  }
  const OptionContract& c = *parsed;
  FUZZ_CHECK(input.starts_with("O:") && input.size() >= 2 + 16 && input.size() <= 2 + 21, input);
  FUZZ_CHECK(c.root.size() >= 1 && c.root.size() <= 6, input);
  for (char ch : c.root.view()) {
    FUZZ_CHECK(is_root_char(ch), input);
  }
  FUZZ_CHECK(c.expiry.year >= 2000 && c.expiry.year <= 2099, input);
  FUZZ_CHECK(is_valid_date(c.expiry.year, c.expiry.month, c.expiry.day), input);
  FUZZ_CHECK(c.strike_milli < 100'000'000U, input);
  FUZZ_CHECK(c.strike() == c.strike_milli / 1000.0, input);

  // Format back, reparse.
  const Symbol sym = c.to_symbol();
  FUZZ_CHECK(sym.view() == input, input);
  FUZZ_CHECK(Symbol::make(sym.view()).has_value(), input);
  const auto again = OptionContract::parse(sym.view());
  FUZZ_CHECK(again && *again == c, input);

  // The other right, and back.
  const auto pair = put_call_pair(sym);
  FUZZ_CHECK(pair.has_value(), input);
  const auto other = OptionContract::parse(pair->view());
  FUZZ_CHECK(other && other->root == c.root && other->expiry == c.expiry && other->strike_milli == c.strike_milli &&
                 other->right != c.right,
             input);
  const auto back = put_call_pair(*pair);
  FUZZ_CHECK(back && *back == sym, input);

  std::ostringstream os;
  os << c;
  FUZZ_CHECK(os.str().starts_with(c.root.view()), input);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check(input);
  if (!input.starts_with("O:")) {
    check("O:" + std::string(input));
  }
  return 0;
}
