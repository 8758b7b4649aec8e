// Copyright (c) James Kassemi, SC, US. All rights reserved.
#include "frame_text.hpp"

#include <sstream>

namespace ws_source::test_support {

std::string frame_text(const ParsedFrame& frame) {
  std::ostringstream os;
  os << "ok: " << frame.batches.size() << " batch(es), " << frame.row_count() << " row(s), " << frame.statuses.size()
     << " status(es), " << frame.skipped_events << " skipped\n";
  for (const auto& batch : frame.batches) {
    os << "batch " << batch.meta << '\n';
    for (const auto& row : batch.rows) {
      os << "  " << row << '\n';
    }
  }
  for (const auto& status : frame.statuses) {
    os << status << '\n';
  }
  if (frame.skipped_events > 0) {
    os << "skipped " << frame.skipped_events << " first_ev=" << frame.first_skipped_ev << '\n';
  }
  return std::move(os).str();
}

std::string error_text(const ParseError& e) {
  std::ostringstream os;
  os << "error: " << to_string(e.kind) << '\n';
  os << "event_index: ";
  if (e.event_index) {
    os << *e.event_index;
  } else {
    os << '-';
  }
  os << "\nfield: " << (e.field.empty() ? "-" : e.field) << "\nev: " << (e.ev.empty() ? "-" : e.ev)
     << "\nsym: " << (e.sym.empty() ? "-" : e.sym) << "\ndetail: " << e.detail << "\nexcerpt: " << e.excerpt
     << "\nmessage: " << e.message() << '\n';
  return std::move(os).str();
}

}  // namespace ws_source::test_support
