// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

// RAII owners of cnats' C handles (each `unique_ptr` calls the matching *_Destroy), and the
// helpers the sink and the reader share: connecting with bounded timeouts, the JetStream
// context, creating or checking the stream, turning a cnats status into a NatsError whose text
// never carries the URL's credentials.

#include <nats/nats.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ws_source/nats_common.hpp"
#include "ws_source/result.hpp"

namespace ws_source::nats_detail {

template <auto Destroy>
struct Deleter {
  template <class T>
  void operator()(T* p) const noexcept {
    Destroy(p);
  }
};

using OptionsPtr = std::unique_ptr<natsOptions, Deleter<natsOptions_Destroy>>;
using ConnectionPtr = std::unique_ptr<natsConnection, Deleter<natsConnection_Destroy>>;
using JsPtr = std::unique_ptr<jsCtx, Deleter<jsCtx_Destroy>>;
using MsgPtr = std::unique_ptr<natsMsg, Deleter<natsMsg_Destroy>>;
using SubscriptionPtr = std::unique_ptr<natsSubscription, Deleter<natsSubscription_Destroy>>;
using StreamInfoPtr = std::unique_ptr<jsStreamInfo, Deleter<jsStreamInfo_Destroy>>;
using MetaDataPtr = std::unique_ptr<jsMsgMetaData, Deleter<jsMsgMetaData_Destroy>>;

/// Connection callbacks (all optional) and their closure. cnats calls them on its own threads.
struct ConnectionCallbacks {
  natsConnectionHandler disconnected{nullptr};
  natsConnectionHandler reconnected{nullptr};
  natsConnectionHandler closed{nullptr};
  natsErrHandler error{nullptr};
  void* closure{nullptr};
};

/// `what (url): cnats text [js code N]`, of kind `kind`, with credentials scrubbed.
[[nodiscard]] NatsError nats_error(NatsError::Kind kind, std::string_view what, std::string_view url, natsStatus status,
                                   jsErrCode js_code = static_cast<jsErrCode>(0));

/// Removes the credentials of `url` from `text` (whatever cnats put in an error text).
[[nodiscard]] std::string scrub(std::string text, std::string_view url);

/// One server of a URL list.
struct ServerAddress {
  std::string host;
  std::uint16_t port{4222};
  bool tls{false};
};

/// The servers of `url` (comma-separated `nats://` or `tls://` URLs; port 4222 by default).
/// `Config` error naming the bad part (credentials redacted).
[[nodiscard]] Result<std::vector<ServerAddress>, NatsError> parse_servers(std::string_view url);

/// Checks the URL's shape (`nats://` or `tls://`, a host) before cnats sees it.
[[nodiscard]] Result<void, NatsError> validate_url(std::string_view url);

/// Whether `server` accepts a TCP connection and answers the NATS handshake (INFO, then a line
/// after CONNECT + PING; for TLS servers INFO alone) within `timeout`.
[[nodiscard]] bool server_answers(const ServerAddress& server, std::chrono::milliseconds timeout);

/// Connects with `settings` (the initial connect bounded by `connect_timeout`, no retry;
/// reconnection forever afterwards, every `reconnect_wait`). `Connect` error on failure.
[[nodiscard]] Result<ConnectionPtr, NatsError> connect(const NatsConnectSettings& settings,
                                                       const ConnectionCallbacks& callbacks);

/// The JetStream context of `nc` with `options` (their `Wait` set from `api_timeout`).
[[nodiscard]] Result<JsPtr, NatsError> jetstream(natsConnection* nc, const NatsConnectSettings& settings,
                                                 jsOptions& options);

/// What `ensure_stream` found.
struct StreamCheck {
  bool created{false};
  std::chrono::nanoseconds duplicate_window{0};
};

/// Looks the stream up; creates it when missing and `create` (subjects `<prefix>.>`); checks that
/// its subjects cover the four feed subjects and that its duplicate window exceeds
/// `min_duplicate_window` (when > 0). `Stream` (or `Config`) error with a sentence saying why.
[[nodiscard]] Result<StreamCheck, NatsError> ensure_stream(jsCtx* js, const NatsConnectSettings& connection,
                                                           const NatsStreamSettings& stream, bool create,
                                                           std::chrono::nanoseconds min_duplicate_window);

/// Validates a stream name (letters, digits, `-`, `_`; 1-255 characters).
[[nodiscard]] Result<void, NatsError> validate_stream_name(std::string_view name);

}  // namespace ws_source::nats_detail
