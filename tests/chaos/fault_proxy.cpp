// Copyright (c) James Kassemi, SC, US. All rights reserved.
#include "fault_proxy.hpp"

#include <algorithm>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <exception>
#include <functional>
#include <future>
#include <map>
#include <thread>
#include <utility>

namespace ws_source::chaos {

namespace asio = boost::asio;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kChunk = 16 * 1024;
constexpr std::size_t kPendingMax = 64 * 1024;
constexpr std::size_t kRequestLineMax = 200;

std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

constexpr std::size_t idx(ProxyFault f) { return static_cast<std::size_t>(f); }

/// Wakes every coroutine waiting on `t` (a timer used as a condition variable: it never expires).
void notify(asio::steady_timer& t) { t.cancel(); }

}  // namespace

std::string_view name(ProxyFault f) noexcept {
  switch (f) {
    case ProxyFault::Cut:
      return "cut";
    case ProxyFault::Reset:
      return "reset";
    case ProxyFault::Stall:
      return "stall";
    case ProxyFault::Drip:
      return "drip";
    case ProxyFault::Corrupt:
      return "corrupt";
    case ProxyFault::Delay:
      return "delay";
    case ProxyFault::Refuse:
      return "refuse";
  }
  return "?";
}

/// One proxied connection. Lives on the io thread only.
///
/// Client to upstream is two coroutines: `read_client` reads the client into `pending` whatever
/// the forwarding is doing (so that the client's close is noticed at once, even while a stall, a
/// delay or a drip holds the forwarding), and `write_upstream` forwards `pending`. Upstream to
/// client is one, `pump_down`: it reads the next chunk only once the last one is written.
struct Conn {
  explicit Conn(asio::io_context& io)
      : client(io), upstream(io), resume(io), stall_timer(io), pending_added(io), pending_taken(io) {
    for (asio::steady_timer* t : {&resume, &pending_added, &pending_taken}) t->expires_at(Clock::time_point::max());
  }
  tcp::socket client;
  tcp::socket upstream;
  asio::steady_timer resume;         ///< cancelled when a stall ends (or the connection closes)
  asio::steady_timer stall_timer;    ///< ends a timed stall
  asio::steady_timer pending_added;  ///< cancelled when `pending` grows (or the connection closes)
  asio::steady_timer pending_taken;  ///< cancelled when `pending` shrinks (or the connection closes)
  ProxyConnectionInfo info;
  bool closed{false};
  bool stalled{false};
  bool client_eof{false};  ///< the client's side ended while stalled
  bool corrupt_next{false};
  Clock::time_point drip_until{};
  std::chrono::nanoseconds drip_per_byte{0};
  Clock::time_point delay_until{};
  std::chrono::nanoseconds delay_latency{0};
  std::string pending;  ///< client bytes read, not yet forwarded (at most kPendingMax)
};

struct FaultProxy::Impl {
  asio::io_context io;
  tcp::acceptor acceptor{io};
  tcp::endpoint upstream;
  asio::steady_timer refuse_timer{io};
  std::uint16_t port{0};
  std::thread thread;
  std::atomic<bool> down{false};

  // io thread only
  std::map<std::uint64_t, std::shared_ptr<Conn>> live;
  std::map<std::uint64_t, ProxyConnectionInfo> finished;
  std::uint64_t next_id{1};
  ProxyCounters counters;
  bool refusing{false};
  RefuseMode refuse_mode{RefuseMode::AcceptAndClose};
  bool accepting{false};  ///< an accept is outstanding

  /// Runs `f` on the io thread and waits (at most 5 s) for its result; `fallback` otherwise.
  template <class R>
  R call(std::function<R()> f, R fallback) {
    if (down.load()) return fallback;
    auto task = std::make_shared<std::packaged_task<R()>>(std::move(f));
    auto fut = task->get_future();
    asio::post(io, [task] { (*task)(); });
    if (fut.wait_for(std::chrono::seconds(5)) != std::future_status::ready) return fallback;
    try {
      return fut.get();
    } catch (...) {
      return fallback;
    }
  }

  void spawn(asio::awaitable<void> a) {
    asio::co_spawn(io, std::move(a), [this](const std::exception_ptr& e) {
      if (e) ++counters.internal_errors;
    });
  }

  void start_accept() {
    if (accepting || down.load() || !acceptor.is_open()) return;
    if (refusing && refuse_mode == RefuseMode::StopAccepting) return;
    accepting = true;
    spawn(accept_loop());
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      if (refusing && refuse_mode == RefuseMode::StopAccepting) break;
      auto [ec, sock] = co_await acceptor.async_accept(kNoThrow);
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) break;
        continue;  // EMFILE and the like: try the next one
      }
      if (refusing) {  // both modes: one accepted before the refusal began is turned away too
        boost::system::error_code ignored;
        sock.close(ignored);
        ++counters.refused;
        continue;
      }
      auto c = std::make_shared<Conn>(io);
      c->client = std::move(sock);
      c->info.id = next_id++;
      c->info.accepted_ns = steady_ns();
      live.emplace(c->info.id, c);
      ++counters.accepted;
      ++counters.live;
      spawn(read_client(c));  // at once: the request line, and a client that goes, are seen early
      spawn(run_conn(c));
    }
    accepting = false;
  }

  asio::awaitable<void> run_conn(std::shared_ptr<Conn> c) {
    auto [ec] = co_await c->upstream.async_connect(upstream, kNoThrow);
    if (ec || c->closed) {
      if (ec) ++counters.upstream_connect_failures;
      close(*c, false);
      co_return;
    }
    boost::system::error_code ignored;
    c->upstream.set_option(tcp::no_delay(true), ignored);
    c->client.set_option(tcp::no_delay(true), ignored);
    const auto local = c->upstream.local_endpoint(ignored);
    c->info.upstream_local_port = local.port();
    spawn(write_upstream(c));
    spawn(pump_down(c));
  }

  /// Waits while the connection is stalled (returns false once it is closed).
  static asio::awaitable<bool> wait_unstalled(Conn& c) {
    while (c.stalled && !c.closed) {
      co_await c.resume.async_wait(kNoThrow);
    }
    co_return !c.closed;
  }

  /// Writes `data` to `to` with the connection's current drip / delay; false on error or close.
  static asio::awaitable<bool> forward(Conn& c, tcp::socket& to, const char* data, std::size_t n, bool up,
                                       asio::steady_timer& timer) {
    if (Clock::now() < c.delay_until && c.delay_latency.count() > 0) {
      timer.expires_after(c.delay_latency);
      co_await timer.async_wait(kNoThrow);
      if (!co_await wait_unstalled(c)) co_return false;
    }
    std::size_t done = 0;
    while (done < n) {
      std::size_t step = n - done;
      const bool dripping = Clock::now() < c.drip_until;
      if (dripping) step = 1;
      auto [ec, w] = co_await asio::async_write(to, asio::buffer(data + done, step), kNoThrow);
      if (ec || c.closed) co_return false;
      done += w;
      (up ? c.info.bytes_up : c.info.bytes_down) += w;
      if (dripping && done < n) {
        timer.expires_after(c.drip_per_byte);
        co_await timer.async_wait(kNoThrow);
        if (!co_await wait_unstalled(c)) co_return false;
      }
    }
    co_return true;
  }

  /// Client to proxy: reads the client into `pending` (at most kPendingMax waiting), stalled or
  /// not, until it goes.
  asio::awaitable<void> read_client(std::shared_ptr<Conn> c) {
    std::array<char, kChunk> buf{};
    for (;;) {
      while (!c->closed && c->pending.size() >= kPendingMax) co_await c->pending_taken.async_wait(kNoThrow);
      if (c->closed) break;
      auto [ec, n] = co_await c->client.async_read_some(asio::buffer(buf), kNoThrow);
      if (c->closed) break;
      if (ec) {
        if (c->stalled) {
          // The client went while its connection was stalled: the upstream stays half-open
          // until the stall ends (end_stall closes it).
          c->client_eof = true;
          mark_client_closed(*c);
          break;
        }
        close(*c, false);
        break;
      }
      if (c->info.request_line.empty()) {
        const std::string_view s(buf.data(), n);
        c->info.request_line = std::string(s.substr(0, std::min({s.find('\r'), s.find('\n'), kRequestLineMax})));
      }
      c->pending.append(buf.data(), n);
      notify(c->pending_added);
    }
  }

  /// Proxy to upstream: forwards `pending`, a chunk at a time, whenever the connection is not
  /// stalled (the bytes read during a stall go as soon as it ends).
  asio::awaitable<void> write_upstream(std::shared_ptr<Conn> c) {
    std::array<char, kChunk> chunk{};
    asio::steady_timer timer(io);
    for (;;) {
      if (!co_await wait_unstalled(*c)) break;
      if (c->pending.empty()) {
        co_await c->pending_added.async_wait(kNoThrow);
        if (c->closed) break;
        continue;
      }
      const std::size_t n = std::min(c->pending.size(), chunk.size());
      std::copy_n(c->pending.data(), n, chunk.data());
      c->pending.erase(0, n);
      notify(c->pending_taken);
      if (!co_await forward(*c, c->upstream, chunk.data(), n, true, timer)) {
        close(*c, false);
        break;
      }
    }
  }

  /// Upstream to client: reads a chunk (not while stalled), forwards it, reads the next.
  asio::awaitable<void> pump_down(std::shared_ptr<Conn> c) {
    std::array<char, kChunk> buf{};
    asio::steady_timer timer(io);
    for (;;) {
      if (!co_await wait_unstalled(*c)) break;  // a stalled upstream is not read
      auto [ec, n] = co_await c->upstream.async_read_some(asio::buffer(buf), kNoThrow);
      if (c->closed) break;
      if (ec) {
        close(*c, false);
        break;
      }
      if (c->corrupt_next && n > 0) {
        buf[n - 1] = static_cast<char>(static_cast<unsigned char>(buf[n - 1]) ^ 0x80U);
        c->corrupt_next = false;
      }
      if (!co_await wait_unstalled(*c)) break;
      if (!co_await forward(*c, c->client, buf.data(), n, false, timer)) {
        close(*c, false);
        break;
      }
    }
  }

  void mark_client_closed(Conn& c) {
    if (c.info.client_closed_ns == 0) c.info.client_closed_ns = steady_ns();
    c.info.client_open = false;
  }

  void close(Conn& c, bool rst) {
    if (c.closed) return;
    c.closed = true;
    boost::system::error_code ignored;
    for (tcp::socket* s : {&c.client, &c.upstream}) {
      if (!s->is_open()) continue;
      if (rst) s->set_option(asio::socket_base::linger(true, 0), ignored);
      s->close(ignored);
    }
    c.resume.cancel();
    c.stall_timer.cancel();
    notify(c.pending_added);
    notify(c.pending_taken);
    mark_client_closed(c);
    c.info.open = false;
    c.info.stalled = false;
    counters.bytes_up += c.info.bytes_up;
    counters.bytes_down += c.info.bytes_down;
    --counters.live;
    finished[c.info.id] = c.info;
    live.erase(c.info.id);
  }

  void end_stall(Conn& c) {
    if (!c.stalled) return;
    c.stalled = false;
    c.info.stalled = false;
    c.stall_timer.cancel();
    notify(c.resume);
    if (c.client_eof) close(c, false);
  }

  /// The live connections whose request line contains `match`.
  std::vector<std::shared_ptr<Conn>> matching(std::string_view match) const {
    std::vector<std::shared_ptr<Conn>> out;
    for (const auto& [id, c] : live) {
      if (!c->closed && c->info.request_line.find(match) != std::string::npos) out.push_back(c);
    }
    return out;
  }

  std::size_t apply(std::string_view match, ProxyFault kind, const std::function<void(Conn&)>& f) {
    const auto targets = matching(match);
    for (const auto& c : targets) {
      ++c->info.faults[idx(kind)];
      f(*c);
    }
    if (!targets.empty()) ++counters.faults[idx(kind)];
    return targets.size();
  }

  void start_stall(const std::shared_ptr<Conn>& c, std::chrono::nanoseconds duration) {
    c->stalled = true;
    c->info.stalled = true;
    c->stall_timer.cancel();  // a stall already timed ends when this one says
    if (duration.count() <= 0) return;
    c->stall_timer.expires_after(duration);
    c->stall_timer.async_wait([this, c](boost::system::error_code ec) {
      if (!ec && !c->closed) end_stall(*c);
    });
  }

  void shutdown_io() {
    boost::system::error_code ignored;
    acceptor.close(ignored);
    refuse_timer.cancel();
    std::vector<std::shared_ptr<Conn>> all;
    for (const auto& [id, c] : live) all.push_back(c);
    for (const auto& c : all) close(*c, false);
  }
};

FaultProxy::FaultProxy(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

FaultProxy::~FaultProxy() { shutdown(); }

Result<std::unique_ptr<FaultProxy>, std::string> FaultProxy::start(const std::string& upstream_host,
                                                                   std::uint16_t upstream_port) {
  auto impl = std::make_unique<Impl>();
  boost::system::error_code ec;
  const auto addr = asio::ip::make_address(upstream_host, ec);
  if (ec) return fail("bad upstream address " + upstream_host);
  impl->upstream = tcp::endpoint(addr, upstream_port);
  const tcp::endpoint listen(asio::ip::make_address_v4("127.0.0.1"), 0);
  impl->acceptor.open(listen.protocol(), ec);
  if (!ec) impl->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(listen, ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("cannot listen: " + ec.message());
  impl->port = impl->acceptor.local_endpoint(ec).port();
  Impl* p = impl.get();
  p->start_accept();
  p->thread = std::thread([p] {
    for (;;) {
      try {
        p->io.run();
        break;
      } catch (...) {
        ++p->counters.internal_errors;  // io thread only: the handler that threw is gone
      }
    }
  });
  return std::unique_ptr<FaultProxy>(new FaultProxy(std::move(impl)));
}

std::uint16_t FaultProxy::port() const noexcept { return impl_->port; }

std::size_t FaultProxy::cut(std::string_view match, bool rst) {
  return impl_->call<std::size_t>(
      [this, m = std::string(match), rst] {
        std::vector<std::shared_ptr<Conn>> targets = impl_->matching(m);
        for (const auto& c : targets) {
          ++c->info.faults[idx(rst ? ProxyFault::Reset : ProxyFault::Cut)];
          impl_->close(*c, rst);
        }
        if (!targets.empty()) ++impl_->counters.faults[idx(rst ? ProxyFault::Reset : ProxyFault::Cut)];
        return targets.size();
      },
      0);
}

std::size_t FaultProxy::stall(std::string_view match, std::chrono::nanoseconds duration) {
  return impl_->call<std::size_t>(
      [this, m = std::string(match), duration] {
        const auto targets = impl_->matching(m);
        for (const auto& c : targets) {
          ++c->info.faults[idx(ProxyFault::Stall)];
          impl_->start_stall(c, duration);
        }
        if (!targets.empty()) ++impl_->counters.faults[idx(ProxyFault::Stall)];
        return targets.size();
      },
      0);
}

std::size_t FaultProxy::unstall(std::string_view match) {
  return impl_->call<std::size_t>(
      [this, m = std::string(match)] {
        std::size_t n = 0;
        for (const auto& c : impl_->matching(m)) {
          if (!c->stalled) continue;
          impl_->end_stall(*c);
          ++n;
        }
        return n;
      },
      0);
}

std::size_t FaultProxy::drip(std::string_view match, std::chrono::nanoseconds duration,
                             std::chrono::nanoseconds per_byte) {
  return impl_->call<std::size_t>(
      [this, m = std::string(match), duration, per_byte] {
        return impl_->apply(m, ProxyFault::Drip, [&](Conn& c) {
          c.drip_until = Clock::now() + duration;
          c.drip_per_byte = per_byte;
        });
      },
      0);
}

std::size_t FaultProxy::corrupt(std::string_view match) {
  return impl_->call<std::size_t>(
      [this, m = std::string(match)] {
        return impl_->apply(m, ProxyFault::Corrupt, [](Conn& c) { c.corrupt_next = true; });
      },
      0);
}

std::size_t FaultProxy::delay(std::string_view match, std::chrono::nanoseconds duration,
                              std::chrono::nanoseconds latency) {
  return impl_->call<std::size_t>(
      [this, m = std::string(match), duration, latency] {
        return impl_->apply(m, ProxyFault::Delay, [&](Conn& c) {
          c.delay_until = Clock::now() + duration;
          c.delay_latency = latency;
        });
      },
      0);
}

void FaultProxy::refuse(RefuseMode mode, std::chrono::nanoseconds duration) {
  (void)impl_->call<int>(
      [this, mode, duration] {
        Impl& s = *impl_;
        s.refusing = true;
        s.refuse_mode = mode;
        ++s.counters.faults[idx(ProxyFault::Refuse)];
        if (mode == RefuseMode::StopAccepting) {
          boost::system::error_code ignored;
          s.acceptor.cancel(ignored);  // the outstanding accept ends; none is started until the end
        }
        if (mode == RefuseMode::AcceptAndClose) s.start_accept();
        s.refuse_timer.expires_after(duration);
        s.refuse_timer.async_wait([&s](boost::system::error_code ec) {
          if (ec) return;
          s.refusing = false;
          s.start_accept();
        });
        return 0;
      },
      0);
}

ProxyCounters FaultProxy::counters() const {
  return impl_->call<ProxyCounters>(
      [this] {
        ProxyCounters c = impl_->counters;
        for (const auto& [id, conn] : impl_->live) {  // bytes of open connections so far
          c.bytes_up += conn->info.bytes_up;
          c.bytes_down += conn->info.bytes_down;
        }
        return c;
      },
      ProxyCounters{});
}

std::vector<ProxyConnectionInfo> FaultProxy::connections() const {
  return impl_->call<std::vector<ProxyConnectionInfo>>(
      [this] {
        std::map<std::uint64_t, ProxyConnectionInfo> all = impl_->finished;
        for (const auto& [id, c] : impl_->live) all[id] = c->info;
        std::vector<ProxyConnectionInfo> out;
        out.reserve(all.size());
        for (auto& [id, info] : all) out.push_back(std::move(info));
        return out;
      },
      {});
}

void FaultProxy::shutdown() {
  if (!impl_ || impl_->down.load()) return;
  (void)impl_->call<int>(
      [this] {
        impl_->shutdown_io();
        return 0;
      },
      0);
  impl_->down.store(true);
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace ws_source::chaos
