// Copyright (c) James Kassemi, SC, US. All rights reserved.
#include "ws_source/sink.hpp"

namespace ws_source {

std::string_view to_string(SinkError::Kind kind) noexcept {
  switch (kind) {
    case SinkError::Kind::Io:
      return "io";
    case SinkError::Kind::Closed:
      return "closed";
    case SinkError::Kind::Timeout:
      return "timeout";
    case SinkError::Kind::Config:
      return "config";
    case SinkError::Kind::Connect:
      return "connect";
    case SinkError::Kind::Stream:
      return "stream";
    case SinkError::Kind::Internal:
      return "internal";
  }
  return "internal";
}

std::ostream& operator<<(std::ostream& os, const SinkError& e) { return os << to_string(e.kind) << ": " << e.message; }

}  // namespace ws_source
