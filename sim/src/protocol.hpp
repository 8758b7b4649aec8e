// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

// Massive's WebSocket protocol as the simulator speaks it: paths, client commands, channels and
// the exact status texts.
//
// | when                                  | status           | message                                      |
// |---------------------------------------|------------------|----------------------------------------------|
// | on connect                            | connected        | Connected Successfully                       |
// | good key                              | auth_success     | authenticated                                |
// | bad key (then close)                  | auth_failed      | authentication failed                        |
// | no auth in time (then close)          | auth_timeout     | authentication timeout                       |
// | (un)subscribe before auth             | auth_required    | authentication required                      |
// | second auth                           | error            | already authenticated                        |
// | per subscribed channel                | success          | subscribed to: T.AAPL                        |
// | per unsubscribed channel              | success          | unsubscribed to: T.AAPL                      |
// | Q.* on options                        | error            | wildcard subscriptions are not allowed for options
// quotes: Q.* | | past the options-quote limit          | error            | subscription limit exceeded: Q.O:… | |
// channel on an unentitled cluster      | error            | not authorized                               | | channel
// without an `EV.` prefix       | error            | invalid subscription: X                      | | unparseable
// client message            | error            | invalid message                              | | unknown action |
// error            | unknown action: X                            | | evicted by a newer connection         |
// max_connections  | kMaxConnectionsMessage                       | | forced close                          |
// force_disconnect | kForceDisconnectMessage                      | | send buffer overflow                  |
// slow_consumer    | kSlowConsumerMessage                         |
//
// Paths: /stocks, /options (real time) and /delayed/stocks, /delayed/options (the same market
// with every timestamp 15 minutes in the past).

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <ws_source/resource_type.hpp>

namespace massive_sim::protocol {

using ws_source::Cluster;

inline constexpr std::string_view kMaxConnectionsMessage =
    "Maximum number of websocket connections exceeded. You have been disconnected from the socket.";
inline constexpr std::string_view kForceDisconnectMessage = "The server has forced this connection to close.";
inline constexpr std::string_view kSlowConsumerMessage =
    "Slow consumer: the client did not read fast enough and the send buffer is full.";

/// The cluster of a request target (`/options`, `/delayed/stocks`, query string ignored) and
/// whether it is the delayed variant; nullopt for any other path.
struct Path {
  Cluster cluster;
  bool delayed;
};
[[nodiscard]] std::optional<Path> parse_path(std::string_view target) noexcept;

/// `{"action":"…","params":"…"}`; `params` defaults to "". nullopt when the text is not a JSON
/// object with a string `action` (and, if present, a string `params`).
struct Command {
  std::string action;
  std::string params;
};
[[nodiscard]] std::optional<Command> parse_command(std::string_view text);

/// What a channel carries: `T` trades, `Q` quotes, anything else (`AM`, `LULD`, …) is acknowledged
/// but never fed.
enum class ChannelKind : std::uint8_t { Trades, Quotes, Other };

/// `EV.SYMBOL` split; nullopt without a dot or with an empty part.
struct Channel {
  ChannelKind kind;
  std::string_view symbol;  ///< a view into the parsed text; `*` for a wildcard
  [[nodiscard]] bool wildcard() const noexcept { return symbol == "*"; }
};
[[nodiscard]] std::optional<Channel> parse_channel(std::string_view raw) noexcept;

/// Calls `f(channel)` for each comma-separated, trimmed, non-empty item of `params`.
template <class F>
void for_each_param(std::string_view params, F&& f) {
  while (!params.empty()) {
    const std::size_t comma = params.find(',');
    std::string_view item = params.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (!item.empty()) f(item);
    if (comma == std::string_view::npos) break;
    params.remove_prefix(comma + 1);
  }
}

/// Builds a frame of status messages: `[{"ev":"status","status":"…","message":"…"},…]`, with the
/// message JSON-escaped (it may echo client text).
class StatusFrame {
 public:
  StatusFrame& add(std::string_view status, std::string_view message);
  [[nodiscard]] bool empty() const noexcept { return text_.empty(); }
  /// The frame; `[]` when nothing was added.
  [[nodiscard]] std::string take();

 private:
  std::string text_;
};

/// One status message as a whole frame.
[[nodiscard]] std::string status_frame(std::string_view status, std::string_view message);

}  // namespace massive_sim::protocol
