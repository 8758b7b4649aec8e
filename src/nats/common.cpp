// Copyright (c) James Kassemi, SC, US. All rights reserved.
#include "ws_source/nats_common.hpp"

namespace ws_source {

std::string_view to_string(NatsError::Kind kind) noexcept {
  switch (kind) {
    case NatsError::Kind::Config:
      return "config";
    case NatsError::Kind::Connect:
      return "connect";
    case NatsError::Kind::Stream:
      return "stream";
    case NatsError::Kind::Closed:
      return "closed";
    case NatsError::Kind::Decode:
      return "decode";
    case NatsError::Kind::Nats:
      return "nats";
  }
  return "nats";
}

std::ostream& operator<<(std::ostream& os, const NatsError& e) { return os << to_string(e.kind) << ": " << e.message; }

std::string nats_subject(std::string_view prefix, ResourceType feed) {
  std::string s(prefix);
  s += '.';
  s += path(cluster(feed));
  s += is_quotes(feed) ? ".quotes" : ".trades";
  return s;
}

std::optional<ResourceType> feed_of_subject(std::string_view prefix, std::string_view subject) noexcept {
  if (!subject.starts_with(prefix) || subject.size() <= prefix.size() || subject[prefix.size()] != '.') {
    return std::nullopt;
  }
  const std::string_view rest = subject.substr(prefix.size() + 1);
  for (const ResourceType rt : kAllResourceTypes) {
    const std::string_view c = path(cluster(rt));
    const std::string_view k = is_quotes(rt) ? "quotes" : "trades";
    if (rest.size() == c.size() + 1 + k.size() && rest.starts_with(c) && rest[c.size()] == '.' && rest.ends_with(k)) {
      return rt;
    }
  }
  return std::nullopt;
}

bool nats_subject_matches(std::string_view pattern, std::string_view subject) noexcept {
  for (;;) {
    const std::size_t pd = pattern.find('.');
    const std::size_t sd = subject.find('.');
    const std::string_view pt = pattern.substr(0, pd);
    const std::string_view st = subject.substr(0, sd);
    if (pt == ">") return !subject.empty();
    if (pt != "*" && pt != st) return false;
    if (pd == std::string_view::npos || sd == std::string_view::npos) {
      return pd == std::string_view::npos && sd == std::string_view::npos;
    }
    pattern.remove_prefix(pd + 1);
    subject.remove_prefix(sd + 1);
  }
}

Result<void, NatsError> validate_subject_prefix(std::string_view prefix) {
  const auto bad = [&](std::string_view why) {
    return fail(
        NatsError{NatsError::Kind::Config, "subject prefix \"" + std::string(prefix) + "\": " + std::string(why)});
  };
  if (prefix.empty()) return bad("empty");
  std::size_t token = 0;
  for (const char c : prefix) {
    if (c == '.') {
      if (token == 0) return bad("empty token");
      token = 0;
      continue;
    }
    if (c <= ' ' || c > '~' || c == '*' || c == '>')
      return bad("spaces, control characters, '*' and '>' are not allowed");
    ++token;
  }
  if (token == 0) return bad("empty token");
  return {};
}

std::string redact_nats_url(std::string_view url) {
  std::string out;
  std::size_t start = 0;
  while (start <= url.size()) {
    const std::size_t comma = url.find(',', start);
    std::string_view one = url.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    const std::size_t scheme = one.find("://");
    const std::size_t host_from = scheme == std::string_view::npos ? 0 : scheme + 3;
    const std::size_t at = one.rfind('@');
    if (at != std::string_view::npos && at >= host_from) {
      out.append(one.substr(0, host_from));
      out += "***";
      out.append(one.substr(at));
    } else {
      out.append(one);
    }
    if (comma == std::string_view::npos) break;
    out += ',';
    start = comma + 1;
  }
  return out;
}

}  // namespace ws_source
