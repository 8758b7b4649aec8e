// Copyright (c) James Kassemi, SC, US. All rights reserved.
//
// One client connection: the HTTP upgrade with its path check, the status flow, auth,
// (un)subscribe, writing frames, ping/pong, and every fault action. Three coroutines share the
// session's strand: the reader (client commands), the writer (the only one that writes), and the
// timers (auth timeout, timed faults). Errors are values (`as_tuple`); nothing throws out of them.

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "../protocol.hpp"
#include "gated_stream.hpp"
#include "state.hpp"

namespace massive_sim {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
/// How long a status sent on the way out may wait for a client that does not read.
constexpr std::chrono::milliseconds kCloseGrace{250};
constexpr std::chrono::seconds kHandshakeTimeout{5};
constexpr std::size_t kMaxClientMessage = 1U << 20U;

std::string peer_of(const tcp::socket& s) {
  beast::error_code ec;
  const auto ep = s.remote_endpoint(ec);
  if (ec) return "?";
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(ServerState& st, tcp::socket socket)
      : st_(st),
        peer_(peer_of(socket)),
        ws_(GatedStream<beast::tcp_stream>(beast::tcp_stream(std::move(socket)))),
        wake_timer_(ws_.get_executor()),
        deadline_timer_(ws_.get_executor()),
        close_timer_(ws_.get_executor()) {
    wake_timer_.expires_at(Clock::time_point::max());
  }

  void start() {
    bump(st_.counters.connections_accepted);
    asio::co_spawn(ws_.get_executor(), handshake_then_run(shared_from_this()), asio::detached);
  }

 private:
  using Ws = websocket::stream<GatedStream<beast::tcp_stream>>;

  beast::tcp_stream& tcp() { return ws_.next_layer().next_layer(); }

  // ---- lifecycle ------------------------------------------------------------------------------

  static asio::awaitable<void> handshake_then_run(std::shared_ptr<Session> self) {
    if (!co_await self->handshake()) {
      bump(self->st_.counters.handshakes_rejected);
      beast::error_code ec;
      self->tcp().socket().shutdown(tcp::socket::shutdown_both, ec);
      self->tcp().close();
      co_return;
    }
    self->open();
    asio::co_spawn(self->ws_.get_executor(), writer(self), asio::detached);
    asio::co_spawn(self->ws_.get_executor(), timers(self), asio::detached);
    co_await reader(self);
  }

  /// Reads the upgrade request; answers 404 for an unknown path; accepts the WebSocket.
  asio::awaitable<bool> handshake() {
    beast::flat_buffer buffer;
    http::request<http::string_body> req;
    tcp().expires_after(kHandshakeTimeout);
    auto [ec, n] = co_await http::async_read(ws_.next_layer(), buffer, req, kNoThrow);
    (void)n;
    if (ec) co_return false;
    const auto path = protocol::parse_path(req.target());
    if (!path || !websocket::is_upgrade(req)) {
      http::response<http::string_body> res{path ? http::status::bad_request : http::status::not_found, req.version()};
      res.set(http::field::content_type, "text/plain");
      res.body() =
          path ? std::string("expected a WebSocket upgrade") : "unknown cluster path: " + std::string(req.target());
      res.prepare_payload();
      co_await http::async_write(ws_.next_layer(), res, kNoThrow);
      co_return false;
    }
    cluster_ = path->cluster;
    delayed_ = path->delayed;
    tcp().expires_never();
    websocket::stream_base::timeout t{};
    t.handshake_timeout = kHandshakeTimeout;
    t.idle_timeout = websocket::stream_base::none();
    t.keep_alive_pings = false;
    ws_.set_option(t);
    ws_.auto_fragment(st_.cfg.auto_fragment);
    ws_.read_message_max(kMaxClientMessage);
    ws_.control_callback([this](websocket::frame_type kind, beast::string_view) {
      if (kind == websocket::frame_type::ping) bump(st_.counters.pings_received);
    });
    auto [aec] = co_await ws_.async_accept(req, kNoThrow);
    co_return !aec;
  }

  /// Registers the connection, queues `connected`, arms the auth deadline and timed faults.
  void open() {
    id_ = st_.next_id.fetch_add(1, std::memory_order_relaxed);
    ws_.text(true);
    out_ = std::make_shared<Outbound>();
    const std::weak_ptr<Session> weak = shared_from_this();
    auto executor = ws_.get_executor();
    out_->wake = [weak, executor] {
      asio::post(executor, [weak] {
        if (auto s = weak.lock()) s->wake_timer_.cancel();
      });
    };
    out_->kill = [weak, executor] {
      asio::post(executor, [weak] {
        if (auto s = weak.lock()) s->slow_consumer(true);
      });
    };
    {
      const std::lock_guard lock(st_.registry_mutex);
      ConnEntry e;
      e.cluster = cluster_;
      e.delayed = delayed_;
      e.peer = peer_;
      e.connected_at = Clock::now();
      e.out = out_;
      e.control = [weak, executor](Control c) {
        asio::post(executor, [weak, c] {
          if (auto s = weak.lock()) s->control(c);
        });
      };
      st_.conns.emplace(id_, std::move(e));
    }
    st_.counters.open[static_cast<std::size_t>(cluster_)].fetch_add(1, std::memory_order_relaxed);
    st_.gen_send({GenCommand::Op::Register, id_, cluster_, delayed_, out_, {}});
    const auto now = Clock::now();
    auth_deadline_ = now + st_.cfg.auth_timeout;
    for (const Fault& f : st_.take_timed_faults()) {
      timed_.emplace_back(now + std::chrono::duration_cast<Clock::duration>(f.after), f.action());
    }
    std::sort(timed_.begin(), timed_.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    send_status("connected", "Connected Successfully");
  }

  /// Runs when the last of the three coroutines ends.
  void cleanup() {
    out_->closed.store(true);
    st_.gen_send({GenCommand::Op::Unregister, id_, cluster_, delayed_, nullptr, {}});
    {
      const std::lock_guard lock(st_.registry_mutex);
      st_.conns.erase(id_);
      if (authenticated_) {
        const auto slot = std::make_pair(cluster_, key_);
        if (auto it = st_.open_auth.find(slot); it != st_.open_auth.end() && it->second > 0) --it->second;
        if (auto it = st_.current.find(slot); it != st_.current.end() && it->second == id_) st_.current.erase(it);
      }
    }
    st_.counters.open[static_cast<std::size_t>(cluster_)].fetch_sub(1, std::memory_order_relaxed);
  }

  void coroutine_done() {
    if (--live_ == 0) cleanup();
  }

  // ---- the three coroutines -------------------------------------------------------------------

  static asio::awaitable<void> reader(std::shared_ptr<Session> self) {
    beast::flat_buffer buffer;
    for (;;) {
      auto [ec, n] = co_await self->ws_.async_read(buffer, kNoThrow);
      if (ec) break;
      if (!self->ending_ && self->ws_.got_text()) {
        const auto data = buffer.cdata();
        self->on_text(std::string_view(static_cast<const char*>(data.data()), n));
      }
      buffer.consume(buffer.size());
    }
    self->hard_close(false);
    self->coroutine_done();
  }

  static asio::awaitable<void> writer(std::shared_ptr<Session> self) {
    Outbound& out = *self->out_;
    std::deque<OutFrame> batch;
    while (!self->closed_) {
      out.wake_pending.store(false);
      {
        const std::lock_guard lock(out.mutex);
        batch.swap(out.queue);
      }
      if (batch.empty()) {
        if (self->replay_ && !self->ending_) {
          co_await self->write_replay_frame();
          continue;
        }
        co_await self->wake_timer_.async_wait(kNoThrow);
        continue;
      }
      for (OutFrame& f : batch) {
        if (self->closed_) break;
        if (f.kind == OutFrame::Kind::Close) {
          auto [ec] = co_await self->ws_.async_close(
              websocket::close_reason(static_cast<websocket::close_code>(f.close_code), f.text), kNoThrow);
          (void)ec;
          self->hard_close(false);
          break;
        }
        if (f.kind == OutFrame::Kind::Data && self->ending_) {
          out.queued_bytes.fetch_sub(f.text.size());  // dropped on the way out
          continue;
        }
        auto [ec, n] = co_await self->ws_.async_write(asio::buffer(f.text), kNoThrow);
        if (ec) {
          self->hard_close(false);
          break;
        }
        if (f.kind == OutFrame::Kind::Status) {
          bump(self->st_.counters.status_frames_sent);
        } else {
          self->data_written(f, n);
        }
      }
      batch.clear();
    }
    self->coroutine_done();
  }

  static asio::awaitable<void> timers(std::shared_ptr<Session> self) {
    while (!self->ending_) {
      auto next = Clock::time_point::max();
      if (!self->authenticated_ && !self->stalled()) next = self->auth_deadline_;
      if (!self->timed_.empty()) next = std::min(next, self->timed_.front().first);
      self->deadline_timer_.expires_at(next);
      co_await self->deadline_timer_.async_wait(kNoThrow);  // cancelled: re-evaluate
      if (self->ending_) break;
      const auto now = Clock::now();
      if (!self->authenticated_ && !self->stalled() && now >= self->auth_deadline_) {
        bump(self->st_.counters.auth_timeouts);
        self->end_with_status("auth_timeout", "authentication timeout");
        break;
      }
      while (!self->ending_ && !self->timed_.empty() && self->timed_.front().first <= now) {
        const Action a = self->timed_.front().second;
        self->timed_.erase(self->timed_.begin());
        self->act(a);
      }
    }
    self->coroutine_done();
  }

  // ---- writing --------------------------------------------------------------------------------

  void send_frame(OutFrame::Kind kind, std::string text) {
    OutFrame f;
    f.kind = kind;
    f.text = std::move(text);
    out_->push(std::move(f));
  }
  void send_status(std::string_view status, std::string_view message) {
    send_frame(OutFrame::Kind::Status, protocol::status_frame(status, message));
  }

  void data_written(OutFrame& f, std::size_t bytes) {
    Outbound& out = *out_;
    out.queued_bytes.fetch_sub(f.text.size());
    bump(st_.counters.events_sent, f.events);
    bump(st_.counters.frames_sent);
    bump(st_.counters.bytes_sent, bytes);
    bump(out.events_sent, f.events);
    bump(out.frames_sent);
    bump(out.bytes_sent, bytes);
    if (st_.cfg.record_sent && !f.records.empty()) {
      const std::lock_guard lock(st_.sent_mutex);
      auto& log = st_.sent[id_];
      log.insert(log.end(), f.records.begin(), f.records.end());
    }
  }

  asio::awaitable<void> write_replay_frame() {
    const std::string& text = st_.replay_frames[replay_next_];
    replay_next_ = (replay_next_ + 1) % st_.replay_frames.size();
    auto [ec, n] = co_await ws_.async_write(asio::buffer(text), kNoThrow);
    if (ec) {
      hard_close(false);
      co_return;
    }
    const std::uint32_t events = st_.replay_events_per_frame;
    bump(st_.counters.events_sent, events);
    bump(st_.counters.frames_sent);
    bump(st_.counters.replay_frames_sent);
    bump(st_.counters.bytes_sent, n);
    bump(out_->events_sent, events);
    bump(out_->frames_sent);
    bump(out_->bytes_sent, n);
  }

  // ---- ending ---------------------------------------------------------------------------------

  /// Sends `status` (if the client reads within the grace period), a close frame with code 1008
  /// and the status as reason, then closes the socket. Queued data frames are dropped.
  void end_with_status(std::string_view status, std::string_view message) {
    if (ending_) return;
    ending_ = true;
    deadline_timer_.cancel();
    {
      const std::lock_guard lock(out_->mutex);
      std::erase_if(out_->queue, [this](const OutFrame& f) {
        if (f.kind != OutFrame::Kind::Data) return false;
        out_->queued_bytes.fetch_sub(f.text.size());
        return true;
      });
      OutFrame s;
      s.kind = OutFrame::Kind::Status;
      s.text = protocol::status_frame(status, message);
      out_->queue.push_back(std::move(s));
      OutFrame c;
      c.kind = OutFrame::Kind::Close;
      c.text = std::string(status);
      c.close_code = static_cast<std::uint16_t>(websocket::close_code::policy_error);
      out_->queue.push_back(std::move(c));
    }
    wake_timer_.cancel();
    arm_close_grace();
  }

  /// A close frame (1001 "closed by fault injection"), then the socket closes.
  void end_with_close_frame() {
    if (ending_) return;
    ending_ = true;
    deadline_timer_.cancel();
    OutFrame c;
    c.kind = OutFrame::Kind::Close;
    c.text = "closed by fault injection";
    c.close_code = static_cast<std::uint16_t>(websocket::close_code::going_away);
    {
      const std::lock_guard lock(out_->mutex);
      out_->queue.push_front(std::move(c));
    }
    wake_timer_.cancel();
    arm_close_grace();
  }

  void arm_close_grace() {
    close_timer_.expires_after(kCloseGrace);
    close_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->hard_close(false);
    });
  }

  /// Closes the socket now (with `reset`, SO_LINGER 0 first: the peer sees a TCP RST).
  void hard_close(bool reset) {
    if (closed_) return;
    closed_ = true;
    ending_ = true;
    out_closed();
    beast::error_code ec;
    auto& sock = tcp().socket();
    if (reset) {
      sock.set_option(asio::socket_base::linger(true, 0), ec);
    } else {
      sock.shutdown(tcp::socket::shutdown_both, ec);
    }
    ws_.next_layer().unstall();
    sock.close(ec);
    wake_timer_.cancel();
    deadline_timer_.cancel();
    close_timer_.cancel();
  }

  void out_closed() {
    if (out_) out_->closed.store(true);
  }

  void slow_consumer(bool overflow) {
    if (ending_) return;
    if (overflow) bump(st_.counters.send_buffer_overflows);
    bump(st_.counters.slow_consumer_disconnects);
    end_with_status("slow_consumer", protocol::kSlowConsumerMessage);
  }

  // ---- control and faults ---------------------------------------------------------------------

  void control(const Control& c) {
    switch (c.kind) {
      case Control::Kind::Evict:
        if (ending_) return;
        bump(st_.counters.evictions);
        end_with_status("max_connections", protocol::kMaxConnectionsMessage);
        return;
      case Control::Kind::Drop:
        hard_close(false);
        return;
      case Control::Kind::Act:
        act(c.action);
        return;
    }
  }

  [[nodiscard]] bool stalled() const noexcept { return out_ && out_->stalled.load(std::memory_order_relaxed); }

  void act(Action a) {
    if (ending_) return;
    auto& c = st_.counters;
    switch (a) {
      case Action::Close:
        bump(c.fault_closes);
        end_with_close_frame();
        return;
      case Action::Reset:
        bump(c.fault_resets);
        hard_close(true);
        return;
      case Action::Stall:
        if (!stalled()) bump(c.fault_stalls);
        out_->stalled.store(true);
        ws_.next_layer().stall();
        deadline_timer_.cancel();
        return;
      case Action::Unstall:
        out_->stalled.store(false);
        ws_.next_layer().unstall();
        deadline_timer_.cancel();
        return;
      case Action::SlowConsumer:
        slow_consumer(false);
        return;
      case Action::ForceDisconnect:
        bump(c.fault_force_disconnects);
        end_with_status("force_disconnect", protocol::kForceDisconnectMessage);
        return;
      case Action::Malformed:
      case Action::BadEvent:
        bump(c.fault_malformed_frames);
        send_frame(OutFrame::Kind::Status, std::string(malformed_frame(a)));
        return;
    }
  }

  // ---- client commands ------------------------------------------------------------------------

  void on_text(std::string_view text) {
    auto& c = st_.counters;
    auto cmd = protocol::parse_command(text);
    if (!cmd) {
      bump(c.invalid_messages);
      send_status("error", "invalid message");
      return;
    }
    if (cmd->action == "auth") {
      on_auth(cmd->params);
    } else if (cmd->action == "subscribe" || cmd->action == "unsubscribe") {
      st_.record_command(id_, cluster_, cmd->action, cmd->params);
      if (!authenticated_) {
        bump(c.auth_required);
        send_status("auth_required", "authentication required");
      } else if (cmd->action == "subscribe") {
        bump(c.subscribe_commands);
        subscribe(cmd->params);
      } else {
        bump(c.unsubscribe_commands);
        unsubscribe(cmd->params);
      }
    } else {
      bump(c.invalid_messages);
      send_status("error", "unknown action: " + cmd->action);
    }
  }

  void on_auth(const std::string& key) {
    auto& c = st_.counters;
    st_.record_command(id_, cluster_, "auth", "<redacted>");
    if (authenticated_) {
      send_status("error", "already authenticated");
      return;
    }
    const bool rejected_by_fault = st_.take_reject_auth();
    const auto& keys = st_.cfg.api_keys;
    if (rejected_by_fault || std::find(keys.begin(), keys.end(), key) == keys.end()) {
      bump(c.auth_failed);
      if (rejected_by_fault) bump(c.fault_auth_rejections);
      end_with_status("auth_failed", "authentication failed");
      return;
    }
    authenticated_ = true;
    key_ = key;
    bump(c.auth_success);
    deadline_timer_.cancel();
    std::function<void(Control)> evict;
    {
      const std::lock_guard lock(st_.registry_mutex);
      if (auto it = st_.conns.find(id_); it != st_.conns.end()) {
        it->second.authenticated = true;
        it->second.key = key;
      }
      const auto slot = std::make_pair(cluster_, key);
      const std::uint64_t open = ++st_.open_auth[slot];
      fetch_max(c.max_concurrent_per_key[static_cast<std::size_t>(cluster_)], open);
      auto [it, inserted] = st_.current.try_emplace(slot, id_);
      if (!inserted) {
        const std::uint64_t old = std::exchange(it->second, id_);
        if (auto o = st_.conns.find(old); old != id_ && o != st_.conns.end()) evict = o->second.control;
      }
    }
    send_status("auth_success", "authenticated");
    if (evict) evict(Control{Control::Kind::Evict, Action::Close});
  }

  [[nodiscard]] bool entitled() const noexcept {
    return cluster_ == Cluster::Stocks ? st_.cfg.entitled_stocks : st_.cfg.entitled_options;
  }

  void subscribe(std::string_view params) {
    auto& c = st_.counters;
    const std::size_t limit = st_.options_quote_limit.load(std::memory_order_relaxed);
    protocol::StatusFrame acks;
    GenCommand gen{GenCommand::Op::Subscribe, id_, cluster_, delayed_, nullptr, {}};
    protocol::for_each_param(params, [&](std::string_view raw) {
      if (!entitled()) {
        bump(c.subscribe_errors);
        acks.add("error", "not authorized");
        return;
      }
      const auto ch = protocol::parse_channel(raw);
      if (!ch) {
        bump(c.subscribe_errors);
        acks.add("error", "invalid subscription: " + std::string(raw));
        return;
      }
      const bool option_quote = cluster_ == Cluster::Options && ch->kind == protocol::ChannelKind::Quotes;
      if (option_quote && ch->wildcard()) {
        bump(c.subscribe_errors);
        acks.add("error", "wildcard subscriptions are not allowed for options quotes: " + std::string(raw));
        return;
      }
      if (!subs_.contains(raw)) {
        if (option_quote) {
          if (quote_contracts_ >= limit) {
            bump(c.subscribe_errors);
            acks.add("error", "subscription limit exceeded: " + std::string(raw));
            return;
          }
          ++quote_contracts_;
        }
        subs_.emplace(raw);
        gen.channels.emplace_back(ch->kind, std::string(ch->symbol));
        if (!st_.replay_frames.empty() && replay_matches(ch->kind)) replay_ = true;
      }
      bump(c.channels_subscribed);
      acks.add("success", "subscribed to: " + std::string(raw));
    });
    sync_subscriptions(std::move(gen));
    if (!acks.empty()) send_frame(OutFrame::Kind::Status, acks.take());
  }

  void unsubscribe(std::string_view params) {
    protocol::StatusFrame acks;
    GenCommand gen{GenCommand::Op::Unsubscribe, id_, cluster_, delayed_, nullptr, {}};
    protocol::for_each_param(params, [&](std::string_view raw) {
      if (auto it = subs_.find(raw); it != subs_.end()) {
        subs_.erase(it);
        if (const auto ch = protocol::parse_channel(raw)) {
          if (cluster_ == Cluster::Options && ch->kind == protocol::ChannelKind::Quotes && quote_contracts_ > 0) {
            --quote_contracts_;
          }
          gen.channels.emplace_back(ch->kind, std::string(ch->symbol));
        }
      }
      bump(st_.counters.channels_unsubscribed);
      acks.add("success", "unsubscribed to: " + std::string(raw));
    });
    if (replay_ && std::none_of(subs_.begin(), subs_.end(), [this](const std::string& s) {
          const auto ch = protocol::parse_channel(s);
          return ch && replay_matches(ch->kind);
        })) {
      replay_ = false;
    }
    sync_subscriptions(std::move(gen));
    if (!acks.empty()) send_frame(OutFrame::Kind::Status, acks.take());
  }

  [[nodiscard]] bool replay_matches(protocol::ChannelKind kind) const noexcept {
    const Feed feed = st_.cfg.replay->feed;
    const bool feed_options = is_option(feed);
    if (feed_options != (cluster_ == Cluster::Options)) return false;
    return is_trade(feed) ? kind == protocol::ChannelKind::Trades : kind == protocol::ChannelKind::Quotes;
  }

  void sync_subscriptions(GenCommand gen) {
    {
      const std::lock_guard lock(st_.registry_mutex);
      if (auto it = st_.conns.find(id_); it != st_.conns.end()) it->second.subscriptions = subs_;
    }
    // Replay connections are fed by their writer, not by the generator.
    if (!gen.channels.empty() && st_.replay_frames.empty()) st_.gen_send(std::move(gen));
  }

  ServerState& st_;
  std::string peer_;
  Ws ws_;
  asio::steady_timer wake_timer_;
  asio::steady_timer deadline_timer_;
  asio::steady_timer close_timer_;
  std::shared_ptr<Outbound> out_;
  std::uint64_t id_{0};
  Cluster cluster_{Cluster::Stocks};
  bool delayed_{false};
  bool authenticated_{false};
  bool ending_{false};  ///< a close is under way: no new work
  bool closed_{false};  ///< the socket is closed
  bool replay_{false};
  std::size_t replay_next_{0};
  int live_{3};  ///< reader, writer, timers
  std::string key_;
  std::set<std::string, std::less<>> subs_;
  std::size_t quote_contracts_{0};
  Clock::time_point auth_deadline_{};
  std::vector<std::pair<Clock::time_point, Action>> timed_;
};

}  // namespace

void start_session(ServerState& state, tcp::socket socket) {
  std::make_shared<Session>(state, std::move(socket))->start();
}

}  // namespace massive_sim
