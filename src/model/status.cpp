// Copyright (c) James Kassemi, SC, US. All rights reserved.
#include "ws_source/status.hpp"

#include <iomanip>

namespace ws_source {
namespace {

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

std::string_view to_string(StatusKind k) noexcept {
  switch (k) {
    case StatusKind::Connected:
      return "connected";
    case StatusKind::AuthSuccess:
      return "auth_success";
    case StatusKind::AuthFailed:
      return "auth_failed";
    case StatusKind::AuthTimeout:
      return "auth_timeout";
    case StatusKind::AuthRequired:
      return "auth_required";
    case StatusKind::Subscribed:
      return "subscribed";
    case StatusKind::Unsubscribed:
      return "unsubscribed";
    case StatusKind::Success:
      return "success";
    case StatusKind::Error:
      return "error";
    case StatusKind::MaxConnections:
      return "max_connections";
    case StatusKind::ForceDisconnect:
      return "force_disconnect";
    case StatusKind::SlowConsumer:
      return "slow_consumer";
    case StatusKind::Other:
      return "other";
  }
  return "other";
}

StatusMessage StatusMessage::from_wire(std::string_view status, std::string_view message) {
  StatusMessage m;
  m.status = std::string(status);
  m.message = std::string(message);
  constexpr std::string_view kSubscribed = "subscribed to: ";
  constexpr std::string_view kUnsubscribed = "unsubscribed to: ";
  if (status == "connected") {
    m.kind = StatusKind::Connected;
  } else if (status == "auth_success") {
    m.kind = StatusKind::AuthSuccess;
  } else if (status == "auth_failed") {
    m.kind = StatusKind::AuthFailed;
  } else if (status == "auth_timeout") {
    m.kind = StatusKind::AuthTimeout;
  } else if (status == "auth_required") {
    m.kind = StatusKind::AuthRequired;
  } else if (status == "success") {
    if (message.starts_with(kSubscribed)) {
      m.kind = StatusKind::Subscribed;
      m.channel = std::string(trim(message.substr(kSubscribed.size())));
    } else if (message.starts_with(kUnsubscribed)) {
      m.kind = StatusKind::Unsubscribed;
      m.channel = std::string(trim(message.substr(kUnsubscribed.size())));
    } else {
      m.kind = StatusKind::Success;
    }
  } else if (status == "error") {
    m.kind = StatusKind::Error;
  } else if (status == "max_connections") {
    m.kind = StatusKind::MaxConnections;
  } else if (status == "force_disconnect") {
    m.kind = StatusKind::ForceDisconnect;
  } else if (status == "slow_consumer") {
    m.kind = StatusKind::SlowConsumer;
  } else {
    m.kind = StatusKind::Other;
  }
  return m;
}

bool StatusMessage::is_disconnect() const noexcept {
  switch (kind) {
    case StatusKind::AuthFailed:
    case StatusKind::AuthTimeout:
    case StatusKind::MaxConnections:
    case StatusKind::ForceDisconnect:
    case StatusKind::SlowConsumer:
      return true;
    default:
      return false;
  }
}

std::ostream& operator<<(std::ostream& os, StatusKind k) { return os << to_string(k); }

std::ostream& operator<<(std::ostream& os, const StatusMessage& s) {
  os << "status kind=" << s.kind;
  if (s.kind == StatusKind::Other) {
    os << " status=" << std::quoted(s.status);
  }
  if (!s.channel.empty()) {
    os << " channel=" << s.channel;
  }
  return os << " message=" << std::quoted(s.message);
}

}  // namespace ws_source
