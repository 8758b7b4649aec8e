// Copyright (c) James Kassemi, SC, US. All rights reserved.
// parse_url / is_loopback_host / check_ws_url. Loopback addresses are recognised with
// inet_pton (POSIX), so "127.1" or "0x7f.0.0.1" are not taken for loopback: only the dotted
// quad and the standard IPv6 forms count.
#include "ws_source/url.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <string>
#include <string_view>

namespace ws_source {
namespace {

char lower(char c) noexcept { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

std::string lowered(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), lower);
  return out;
}

bool is_scheme_char(char c) noexcept {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '+' || c == '-' || c == '.';
}

// Printable ASCII without space: a URL is written in these (anything else is percent-encoded).
bool is_url_char(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  return u > 0x20 && u < 0x7f;
}

bool is_reg_name_char(char c) noexcept {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.' || c == '_' || c == '~';
}

std::uint16_t default_port(std::string_view scheme) noexcept {
  if (scheme == "wss") {
    return 443;
  }
  if (scheme == "ws") {
    return 80;
  }
  return 0;
}

}  // namespace

std::string Url::authority() const {
  std::string out = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (explicit_port) {
    out += ':';
    out += std::to_string(port);
  }
  return out;
}

Result<Url, std::string> parse_url(std::string_view text) {
  if (text.empty()) {
    return fail(std::string("empty"));
  }
  if (!std::all_of(text.begin(), text.end(), is_url_char)) {
    return fail(std::string("contains a space, a control character or a non-ASCII byte"));
  }
  const auto sep = text.find("://");
  if (sep == std::string_view::npos || sep == 0) {
    return fail(std::string("missing scheme (expected e.g. wss://host)"));
  }
  const std::string_view scheme = text.substr(0, sep);
  if (std::isalpha(static_cast<unsigned char>(scheme.front())) == 0 ||
      !std::all_of(scheme.begin(), scheme.end(), is_scheme_char)) {
    return fail(std::string("invalid scheme"));
  }
  std::string_view rest = text.substr(sep + 3);
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return fail(std::string("a query or fragment is not supported"));
  }
  const auto slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  const std::string_view target = slash == std::string_view::npos ? std::string_view("/") : rest.substr(slash);
  if (authority.find('@') != std::string_view::npos) {
    return fail(std::string("user info (credentials) in the URL is not supported"));
  }

  Url url;
  url.scheme = lowered(scheme);
  url.target = std::string(target);
  std::string_view host;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) {
      return fail(std::string("unclosed '[' in the host"));
    }
    host = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return fail(std::string("unexpected characters after the IPv6 host"));
      }
      port = after.substr(1);
      url.explicit_port = true;
    }
    std::array<unsigned char, sizeof(in6_addr)> buf{};
    if (host.empty() || host.size() >= 64 || inet_pton(AF_INET6, std::string(host).c_str(), buf.data()) != 1) {
      return fail(std::string("invalid IPv6 address"));
    }
  } else {
    const auto colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      url.explicit_port = true;
    }
    if (!std::all_of(host.begin(), host.end(), is_reg_name_char)) {
      return fail(std::string("invalid character in the host"));
    }
  }
  if (host.empty()) {
    return fail(std::string("missing host"));
  }
  url.host = lowered(host);
  if (url.explicit_port) {
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return fail(std::string("invalid port"));
    }
    unsigned value = 0;
    for (char c : port) {
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value == 0 || value > 65535) {
      return fail(std::string("port out of range 1-65535"));
    }
    url.port = static_cast<std::uint16_t>(value);
  } else {
    url.port = default_port(url.scheme);
  }
  return url;
}

bool is_loopback_host(std::string_view host) noexcept {
  if (host.size() >= 64) {
    return false;
  }
  std::array<char, 64> name{};
  std::copy(host.begin(), host.end(), name.begin());
  std::string_view h(name.data(), host.size());
  if (!h.empty() && h.back() == '.') {
    h.remove_suffix(1);
  }
  constexpr std::string_view kLocalhost = "localhost";
  if (h.size() == kLocalhost.size() &&
      std::equal(h.begin(), h.end(), kLocalhost.begin(), [](char a, char b) { return lower(a) == b; })) {
    return true;
  }
  in_addr v4{};
  if (inet_pton(AF_INET, name.data(), &v4) == 1) {
    unsigned char first = 0;  // network byte order: the first octet comes first
    std::memcpy(&first, &v4, 1);
    return first == 127;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, name.data(), &v6) == 1) {
    static constexpr std::array<unsigned char, 16> kLoopback6{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    static constexpr std::array<unsigned char, 12> kMappedPrefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    std::array<unsigned char, 16> b{};
    std::memcpy(b.data(), &v6, b.size());
    if (b == kLoopback6) {
      return true;
    }
    return std::equal(kMappedPrefix.begin(), kMappedPrefix.end(), b.begin()) && b[12] == 127;
  }
  return false;
}

Result<void, std::string> check_ws_url(const Url& url) {
  if (url.scheme == "wss") {
    return {};
  }
  if (url.scheme == "ws") {
    if (is_loopback_host(url.host)) {
      return {};
    }
    return fail(std::string("plain ws:// is only allowed for loopback hosts; use wss://"));
  }
  return fail("unsupported scheme \"" + url.scheme + "\"");
}

}  // namespace ws_source
