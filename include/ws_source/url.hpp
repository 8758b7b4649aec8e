// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

/// @file
/// A small URL reader for the WebSocket endpoints (`wss://host[:port]/path`) and the policy on
/// plain `ws://` (loopback hosts only).

#include <cstdint>
#include <string>
#include <string_view>

#include "ws_source/result.hpp"

namespace ws_source {

/// A URL taken apart: `scheme://host[:port][/path]`. No user info, query or fragment (the
/// endpoints have none, and user info would put credentials where logs can see them).
struct Url {
  std::string scheme;         ///< lower case, e.g. "wss"
  std::string host;           ///< as written, lower case; an IPv6 address without its brackets
  std::uint16_t port{0};      ///< explicit, or the scheme's default (ws 80, wss 443; else 0)
  bool explicit_port{false};  ///< whether the text named the port
  std::string target{"/"};    ///< the path, starting with '/'

  /// True for `wss` (TLS).
  [[nodiscard]] bool tls() const noexcept { return scheme == "wss"; }
  /// `host` for an HTTP Host header / TLS SNI: IPv6 in brackets, plus `:port` when explicit.
  [[nodiscard]] std::string authority() const;
  friend bool operator==(const Url&, const Url&) = default;
};

/// Parses `text` as `scheme://host[:port][/path]`. The error says what is wrong without
/// repeating the text (which may hold credentials), e.g. "missing host". Never throws except
/// `std::bad_alloc`. Any thread.
[[nodiscard]] Result<Url, std::string> parse_url(std::string_view text);

/// Whether `host` is the local machine: `localhost` (any case, optional trailing dot), an IPv4
/// address in 127.0.0.0/8, or the IPv6 loopback `::1` (also as `::ffff:127.x.y.z`).
[[nodiscard]] bool is_loopback_host(std::string_view host) noexcept;

/// The transport policy of ws-source: `wss` always; plain `ws` only to a loopback host (the
/// simulator, tests). Errors: "unsupported scheme \"http\"", "plain ws:// is only allowed for
/// loopback hosts; use wss://".
[[nodiscard]] Result<void, std::string> check_ws_url(const Url& url);

}  // namespace ws_source
