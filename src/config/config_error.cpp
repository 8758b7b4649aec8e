// Copyright (c) James Kassemi, SC, US. All rights reserved.
// The one-line text of a ConfigError.
#include <string>

#include "ws_source/config.hpp"

namespace ws_source {

std::string ConfigError::to_string() const {
  const std::string in_file = path.empty() ? std::string("config file") : "config file " + path;
  switch (kind) {
    case Kind::Io:
      return "cannot read " + in_file + ": " + message;
    case Kind::Syntax:
      return in_file + " is not valid: " + message + " (line " + std::to_string(line) + ")";
    case Kind::Schema:
      return (path.empty() ? std::string() : path + ": ") + "config field `" + field + "`: " + message + " (line " +
             std::to_string(line) + ")";
    case Kind::Invalid:
      break;
  }
  return (path.empty() ? std::string() : path + ": ") + "config field `" + field + "`: " + message;
}

std::ostream& operator<<(std::ostream& os, const ConfigError& e) { return os << e.to_string(); }

}  // namespace ws_source
