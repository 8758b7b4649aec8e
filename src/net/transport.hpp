// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

// The WebSocket transport behind `WebSocketStream`: Beast over a TCP stream, with or without TLS
// (OpenSSL). One of the two alternatives is live; `visit` runs a generic lambda on it, so the read
// loop is written once. Internal: only the net/ translation units include Beast.

#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <memory>
#include <variant>

#include "ws_source/connection.hpp"

namespace ws_source::detail {

using PlainWs = boost::beast::websocket::stream<boost::beast::tcp_stream>;
using TlsWs = boost::beast::websocket::stream<boost::beast::ssl_stream<boost::beast::tcp_stream>>;

/// The lowest layer (the TCP stream with its timeouts) of either alternative.
inline boost::beast::tcp_stream& tcp_of(PlainWs& ws) noexcept { return ws.next_layer(); }
inline boost::beast::tcp_stream& tcp_of(TlsWs& ws) noexcept { return ws.next_layer().next_layer(); }

}  // namespace ws_source::detail

namespace ws_source {

struct WebSocketStream::Impl {
  /// Kept alive as long as a TLS stream uses it.
  std::shared_ptr<boost::asio::ssl::context> tls_context;
  std::variant<std::unique_ptr<detail::PlainWs>, std::unique_ptr<detail::TlsWs>> ws;
  Cluster cluster{Cluster::Stocks};
  std::size_t shard{0};

  template <class F>
  decltype(auto) visit(F&& f) {
    return std::visit([&](auto& p) -> decltype(auto) { return f(*p); }, ws);
  }
};

}  // namespace ws_source
