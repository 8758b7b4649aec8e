// Copyright (c) James Kassemi, SC, US. All rights reserved.
// The error-path scanner: it must terminate and stay in bounds on any bytes.
#include "parse/frame_scan.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace ws_source::detail;

TEST(FrameScan, ElementsAreFoundByIndexAndOffset) {
  const std::string t = R"([{"a":"}"},  [1,2] ,42])";
  EXPECT_EQ(element_text(t, 0), std::optional<std::string_view>(R"({"a":"}"})"));
  EXPECT_EQ(element_text(t, 1), std::optional<std::string_view>("[1,2]"));
  EXPECT_EQ(element_text(t, 2), std::optional<std::string_view>("42"));
  EXPECT_EQ(element_text(t, 3), std::nullopt);
  EXPECT_EQ(element_at(t, 3)->index, 0U);
  EXPECT_EQ(element_at(t, t.find("[1"))->index, 1U);
  EXPECT_EQ(element_at(t, t.size() - 2)->index, 2U);
}

TEST(FrameScan, StrayClosingBracketsDoNotStopTheWalk) {
  // These once looped forever: a '}' where a value should start ends no value.
  for (const std::string t : {"[}", "[}}]", "[1,}]", "[{},}\xff]", "[}\xff", "[,,,", "[\"", "[\"\\"}) {
    SCOPED_TRACE(t);
    (void)element_at(t, t.size() - 1);
    (void)element_text(t, 5);
    (void)value_end(t, 1);
  }
  EXPECT_EQ(element_at("[}}]", 2)->index, 1U);
}

TEST(FrameScan, TruncatedValuesEndAtTheEndOfTheText) {
  const std::string t = R"([{"ev":"T","sym":"AA)";
  EXPECT_EQ(value_end(t, 1), t.size());
  EXPECT_EQ(element_at(t, t.size() - 1)->index, 0U);
}

TEST(FrameScan, InvalidUtf8IsLocatedAndReplacedInExcerpts) {
  EXPECT_EQ(first_invalid_utf8("abc"), std::nullopt);
  EXPECT_EQ(first_invalid_utf8("ab\xC3\xA9"), std::nullopt);
  EXPECT_EQ(first_invalid_utf8("ab\xC3"), std::optional<std::size_t>(2));
  EXPECT_EQ(first_invalid_utf8("\xED\xA0\x80"), std::optional<std::size_t>(0));  // a UTF-16 surrogate
  EXPECT_EQ(excerpt("  a\xFF"
                    "b  ",
                    160),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(excerpt("abcdef", 4), "abcd\xE2\x80\xA6");
}

TEST(FrameScan, PeekStringFieldIsBestEffort) {
  EXPECT_EQ(peek_string_field(R"({"ev":"T","sym" : "AAPL"})", "sym", 32), "AAPL");
  EXPECT_EQ(peek_string_field(R"({"ev":"T","sym":4})", "sym", 32), "");
  EXPECT_EQ(peek_string_field(R"({"ev":"T"})", "sym", 32), "");
  EXPECT_EQ(peek_string_field(R"({"sym":"AA)", "sym", 32), "AA");
}

TEST(FrameScan, ExcerptsEscapeControlBytes) { EXPECT_EQ(excerpt("a\nb\x01", 160), "a\\u000ab\\u0001"); }
