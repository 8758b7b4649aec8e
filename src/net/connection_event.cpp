// Copyright (c) James Kassemi, SC, US. All rights reserved.
#include <ostream>

#include "ws_source/connection.hpp"

namespace ws_source {

std::string_view to_string(ConnectionEvent::Kind k) noexcept {
  switch (k) {
    case ConnectionEvent::Kind::Connecting:
      return "connecting";
    case ConnectionEvent::Kind::Connected:
      return "connected";
    case ConnectionEvent::Kind::Disconnected:
      return "disconnected";
    case ConnectionEvent::Kind::BackingOff:
      return "backing_off";
    case ConnectionEvent::Kind::Stopped:
      return "stopped";
    case ConnectionEvent::Kind::FrameRejected:
      return "frame_rejected";
    case ConnectionEvent::Kind::SubscriptionRejected:
      return "subscription_rejected";
  }
  return "?";
}

// key=value, one line; never the API key (WsError's text has none).
std::ostream& operator<<(std::ostream& os, const ConnectionEvent& e) {
  os << "event=" << to_string(e.kind) << " cluster=" << path(e.cluster) << " shard=" << e.shard;
  switch (e.kind) {
    case ConnectionEvent::Kind::Connecting:
      os << " attempt=" << e.attempt;
      break;
    case ConnectionEvent::Kind::Connected:
      os << " channels=" << e.channels;
      break;
    case ConnectionEvent::Kind::BackingOff:
      os << " attempt=" << e.attempt
         << " delay_ms=" << std::chrono::duration_cast<std::chrono::milliseconds>(e.delay).count();
      break;
    case ConnectionEvent::Kind::FrameRejected:
      os << " count=" << e.count;
      break;
    default:
      break;
  }
  if (e.gap) os << " " << *e.gap;
  if (e.error) os << " reason=" << e.error->reason << " error=\"" << e.error->message << "\"";
  if (!e.detail.empty()) os << " detail=\"" << e.detail << "\"";
  if (e.kind == ConnectionEvent::Kind::Disconnected && e.error && e.error->reason == DisconnectReason::MaxConnections) {
    os << " note=\"ANOTHER CLIENT ON THIS ACCOUNT TOOK THE CONNECTION: backing off instead of fighting for it\"";
  }
  return os;
}

}  // namespace ws_source
