// Copyright (c) James Kassemi, SC, US. All rights reserved.
#include <sstream>

#include "ws_source/parse.hpp"

namespace ws_source {

std::string_view to_string(ParseErrorKind k) noexcept {
  switch (k) {
    case ParseErrorKind::InvalidJson:
      return "invalid_json";
    case ParseErrorKind::NotAnArray:
      return "not_an_array";
    case ParseErrorKind::NotAnObject:
      return "not_an_object";
    case ParseErrorKind::MissingField:
      return "missing_field";
    case ParseErrorKind::WrongType:
      return "wrong_type";
    case ParseErrorKind::InvalidTimestamp:
      return "invalid_timestamp";
    case ParseErrorKind::InvalidPrice:
      return "invalid_price";
    case ParseErrorKind::NegativeSize:
      return "negative_size";
    case ParseErrorKind::InvalidFractionalSize:
      return "invalid_fractional_size";
    case ParseErrorKind::InvalidSymbol:
      return "invalid_symbol";
    case ParseErrorKind::InvalidOccSymbol:
      return "invalid_occ_symbol";
    case ParseErrorKind::TooManyCodes:
      return "too_many_codes";
  }
  return "unknown";
}

std::string ParseError::message() const {
  std::ostringstream os;
  os << *this;
  return std::move(os).str();
}

std::ostream& operator<<(std::ostream& os, const ParseError& e) {
  if (e.event_index) {
    os << "event " << *e.event_index;
  } else {
    os << "frame";
  }
  if (!e.ev.empty() && !e.sym.empty()) {
    os << " (ev=" << e.ev << ", sym=" << e.sym << ')';
  } else if (!e.ev.empty()) {
    os << " (ev=" << e.ev << ')';
  } else if (!e.sym.empty()) {
    os << " (sym=" << e.sym << ')';
  }
  if (!e.field.empty()) {
    os << ", field `" << e.field << '`';
  }
  return os << ": " << e.detail << "; excerpt: " << e.excerpt;
}

}  // namespace ws_source
