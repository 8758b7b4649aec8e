// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

// The steps of `connect_and_subscribe`, for the worker (which reconnects with them) and the tests.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ws_source/connection.hpp"
#include "ws_source/status.hpp"

namespace ws_source::detail {

/// The largest message accepted from the server; a larger one is a protocol error, never an
/// allocation of its size. Massive's frames are tens of kilobytes.
inline constexpr std::size_t kMaxMessageBytes = 16U << 20U;

/// A TLS client context: TLS 1.2+, the system trust store plus `w.tls.ca_file`, peer verification.
boost::asio::awaitable<Result<std::shared_ptr<boost::asio::ssl::context>, WsError>> make_tls_context(const WsWorker& w);

/// Resolve, TCP (TCP_NODELAY), TLS (SNI, host-name verification) and the WebSocket upgrade,
/// within `connect_timeout_ms`. `tls` is required for wss.
boost::asio::awaitable<Result<WebSocketStream, WsError>> open_transport(const WsWorker& w,
                                                                        std::shared_ptr<boost::asio::ssl::context> tls);

/// Reads `connected`, sends auth, reads `auth_success`, within `auth_timeout_ms`.
boost::asio::awaitable<Result<void, WsError>> authenticate(const WsWorker& w, WebSocketStream& stream);

/// The error a disconnect status means (auth_failed, auth_timeout, max_connections,
/// slow_consumer, force_disconnect); nullopt for any other status.
[[nodiscard]] std::optional<WsError> status_error(const WsWorker& w, const StatusMessage& s);

/// `{"action":"{action}","params":"c1,c2,…"}` messages of at most `chunk` channels.
[[nodiscard]] std::vector<std::string> subscribe_messages(std::string_view action,
                                                          const std::vector<std::string>& channels, std::size_t chunk);

/// The WsError for a failed read.
[[nodiscard]] WsError read_error(const WebSocketStream::Impl& impl, const boost::beast::error_code& ec,
                                 const boost::beast::websocket::close_reason& reason);

}  // namespace ws_source::detail
