// Copyright (c) James Kassemi, SC, US. All rights reserved.
#include "protocol.hpp"

#include <simdjson.h>

namespace massive_sim::protocol {

std::optional<Path> parse_path(std::string_view target) noexcept {
  target = target.substr(0, target.find('?'));
  while (target.size() > 1 && target.back() == '/') target.remove_suffix(1);
  bool delayed = false;
  if (target.starts_with("/delayed/")) {
    delayed = true;
    target.remove_prefix(8);
  }
  if (target == "/stocks") return Path{Cluster::Stocks, delayed};
  if (target == "/options") return Path{Cluster::Options, delayed};
  return std::nullopt;
}

std::optional<Command> parse_command(std::string_view text) {
  // Client messages are rare (auth, subscription changes): the DOM API is plenty.
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(text.data(), text.size()).get(doc) != simdjson::SUCCESS) return std::nullopt;
  simdjson::dom::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS) return std::nullopt;
  Command cmd;
  std::string_view action;
  if (obj["action"].get_string().get(action) != simdjson::SUCCESS) return std::nullopt;
  cmd.action = action;
  simdjson::dom::element params;
  if (obj["params"].get(params) == simdjson::SUCCESS) {
    std::string_view p;
    if (params.get_string().get(p) != simdjson::SUCCESS) return std::nullopt;
    cmd.params = p;
  }
  return cmd;
}

std::optional<Channel> parse_channel(std::string_view raw) noexcept {
  const std::size_t dot = raw.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == raw.size()) return std::nullopt;
  const std::string_view ev = raw.substr(0, dot);
  const ChannelKind kind = ev == "T" ? ChannelKind::Trades : ev == "Q" ? ChannelKind::Quotes : ChannelKind::Other;
  return Channel{kind, raw.substr(dot + 1)};
}

namespace {

void append_escaped(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      out += "\\u00";
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
    } else {
      out += c;
    }
  }
}

}  // namespace

StatusFrame& StatusFrame::add(std::string_view status, std::string_view message) {
  text_ += text_.empty() ? "[" : ",";
  text_ += R"({"ev":"status","status":")";
  append_escaped(text_, status);
  text_ += R"(","message":")";
  append_escaped(text_, message);
  text_ += "\"}";
  return *this;
}

std::string StatusFrame::take() {
  if (text_.empty()) return "[]";
  text_ += ']';
  return std::exchange(text_, {});
}

std::string status_frame(std::string_view status, std::string_view message) {
  return StatusFrame{}.add(status, message).take();
}

}  // namespace massive_sim::protocol
