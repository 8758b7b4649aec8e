// Copyright (c) James Kassemi, SC, US. All rights reserved.
//
// ConnectionManager: validates the configuration, creates one worker per cluster × shard (options
// first, then stocks) with its own ring, runs them on an io_context (its own thread or the host's),
// routes subscription changes to their shard, and stops them.

#include "ws_source/connection_manager.hpp"

#include <pthread.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "net/worker.hpp"
#include "stream/batch_stream_builder.hpp"
#include "ws_source/logging.hpp"
#include "ws_source/timestamp.hpp"

namespace ws_source {

namespace asio = boost::asio;

namespace {

/// Counts workers that ended; shared with their completion callbacks, which may outlive nothing
/// but must not reach a destroyed manager.
struct DoneState {
  std::mutex mutex;
  std::condition_variable cv;
  std::size_t done{0};
};

}  // namespace

struct ConnectionManager::Impl {
  WsConfig config;
  std::optional<ConfigError> error;
  std::unique_ptr<asio::io_context> own_io;
  asio::io_context* io{nullptr};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard;
  std::thread io_thread;
  std::function<void(const ConnectionEvent&)> handler;
  mutable std::mutex mutex;  // workers, running, config.feeds before run
  std::vector<std::shared_ptr<detail::Worker>> workers;
  bool running{false};
  bool stopped{false};
  std::shared_ptr<DoneState> done = std::make_shared<DoneState>();
  /// Once a second: the repeats the rate-limited log lines held back (the end of a flood of bad
  /// frames is reported too). On a strand of the io_context; cancelled by `stop`.
  std::shared_ptr<asio::steady_timer> log_timer;

  static void flush_logs_every_second(const std::shared_ptr<asio::steady_timer>& timer) {
    timer->expires_after(std::chrono::seconds(1));
    timer->async_wait([timer](const boost::system::error_code& ec) {
      flush_log_repeats(now_ns());
      if (!ec) flush_logs_every_second(timer);
    });
  }

  void init(WsConfig c) {
    config = std::move(c);
    // Whatever a server or an error message echoes, no log line carries a key.
    for (const ApiKey& key : config.api_keys) add_log_redaction(key);
    if (auto ok = validate(config); !ok) error = std::move(ok).error();
  }

  /// The workers a channel of `feed` goes to: its shard's, or every shard's for `*`.
  template <class F>
  void route(ResourceType feed, const std::vector<std::string>& symbols, F&& f) {
    const Cluster c = cluster(feed);
    for (const auto& w : workers) {
      if (w->spec().cluster() != c) continue;
      std::vector<std::string> channels;
      for (const std::string& s : symbols) {
        if (s == "*" || shard_for(s, config.shard_count) == w->spec().shard_id) {
          std::string ch(channel_prefix(feed));
          ch += '.';
          ch += s;
          channels.push_back(std::move(ch));
        }
      }
      if (!channels.empty()) f(*w, std::move(channels));
    }
  }

  bool change(bool subscribe, ResourceType feed, const std::vector<std::string>& symbols) {
    const std::lock_guard lock(mutex);
    if (error || !config.feeds.get(feed).enabled) return false;
    if (!running) {
      auto& list = config.feeds.get(feed).symbols;
      for (const std::string& s : symbols) {
        const auto it = std::find(list.begin(), list.end(), s);
        if (subscribe && it == list.end()) list.push_back(s);
        if (!subscribe && it != list.end()) list.erase(it);
      }
      return true;
    }
    if (stopped) return false;
    route(feed, symbols,
          [&](detail::Worker& w, std::vector<std::string> channels) { w.change(subscribe, std::move(channels)); });
    return true;
  }
};

ConnectionManager::ConnectionManager(WsConfig config) : impl_(std::make_unique<Impl>()) {
  impl_->init(std::move(config));
  impl_->own_io = std::make_unique<asio::io_context>(1);
  impl_->io = impl_->own_io.get();
}

ConnectionManager::ConnectionManager(asio::io_context& io, WsConfig config) : impl_(std::make_unique<Impl>()) {
  impl_->init(std::move(config));
  impl_->io = &io;
}

ConnectionManager::~ConnectionManager() {
  stop();
  std::size_t n = 0;
  {
    const std::lock_guard lock(impl_->mutex);
    n = impl_->workers.size();
  }
  {
    // The workers end within their close timeout; a host io_context that no longer runs could
    // never end them, so the wait is bounded.
    std::unique_lock lock(impl_->done->mutex);
    impl_->done->cv.wait_for(lock, std::chrono::seconds(5), [&] { return impl_->done->done >= n; });
  }
  if (impl_->own_io) {
    impl_->guard.reset();
    impl_->own_io->stop();
    if (impl_->io_thread.joinable()) impl_->io_thread.join();
  }
}

const std::optional<ConfigError>& ConnectionManager::config_error() const noexcept { return impl_->error; }

void ConnectionManager::on_event(std::function<void(const ConnectionEvent&)> handler) {
  const std::lock_guard lock(impl_->mutex);
  impl_->handler = std::move(handler);
}

BatchStream ConnectionManager::run() {
  Impl& m = *impl_;
  detail::BatchStreamBuilder builder;
  const std::lock_guard lock(m.mutex);
  if (m.error || m.running) return std::move(builder).build();  // no ring: already ended
  m.running = true;
  for (const Cluster cluster : {Cluster::Options, Cluster::Stocks}) {
    const std::vector<ResourceType> feeds = m.config.feeds.enabled_on(cluster);
    if (feeds.empty()) continue;
    auto url = parse_url(cluster_url(m.config, cluster));
    if (!url) continue;  // validate() checked base_url already
    for (std::size_t shard = 0; shard < m.config.shard_count; ++shard) {
      WsWorker spec;
      spec.url = *url;
      spec.shard_id = shard;
      spec.resource_type = feeds.front();
      spec.feeds = feeds;
      spec.key = m.config.api_keys[shard];
      spec.connection = m.config.connection;
      spec.tls.ca_file = m.config.tls.ca_file;
      auto producer = builder.add_channel({m.config.connection.queue_capacity, 64});
      // Scheduled option quotes: this shard's options connection picks its own contracts.
      std::unique_ptr<detail::Rebalancer> rebalancer;
      const FeedConfig& quotes = m.config.feeds.options_quotes;
      if (cluster == Cluster::Options && quotes.enabled && quotes.scheduled) {
        rebalancer = std::make_unique<detail::Rebalancer>(
            m.config.scheduler, shard, m.config.shard_count,
            subscription_limit(ResourceType::OptionsQuotes).value_or(std::size_t{1000}));
      }
      m.workers.push_back(std::make_shared<detail::Worker>(
          m.io->get_executor(), std::move(spec), m.config.backoff, m.config.backpressure, std::move(producer),
          detail::initial_channels(m.config, cluster, shard),
          // Every event is logged (the `ws_source` logger, rate-limited repeats), then handed to the host.
          [host = m.handler](const ConnectionEvent& e) {
            log_event(e);
            if (host) host(e);
          },
          std::move(rebalancer), m.config.scheduler.rebalance_interval_s));
    }
  }
  BatchStream stream = std::move(builder).build();
  m.log_timer = std::make_shared<asio::steady_timer>(asio::make_strand(m.io->get_executor()));
  asio::post(m.log_timer->get_executor(), [t = m.log_timer] { Impl::flush_logs_every_second(t); });
  for (const auto& w : m.workers) {
    w->start([done = m.done] {
      {
        const std::lock_guard l(done->mutex);
        ++done->done;
      }
      done->cv.notify_all();
    });
  }
  if (m.own_io) {
    m.guard.emplace(m.own_io->get_executor());
    m.io_thread = std::thread([io = m.own_io.get()] {
      pthread_setname_np(pthread_self(), "ws-source-io");  // as `top -H` and perf show it
      // Nothing on the io thread throws (errors are values); a stray exception must not
      // terminate the host, so the loop goes on.
      for (;;) {
        try {
          io->run();
          return;
        } catch (...) {  // NOLINT(bugprone-empty-catch)
        }
      }
    });
  }
  return stream;
}

bool ConnectionManager::subscribe(ResourceType feed, const std::vector<std::string>& symbols) {
  return impl_->change(true, feed, symbols);
}

bool ConnectionManager::unsubscribe(ResourceType feed, const std::vector<std::string>& symbols) {
  return impl_->change(false, feed, symbols);
}

void ConnectionManager::stop() {
  const std::lock_guard lock(impl_->mutex);
  if (impl_->stopped) return;
  impl_->stopped = true;
  for (const auto& w : impl_->workers) w->stop();
  if (impl_->log_timer) asio::post(impl_->log_timer->get_executor(), [t = impl_->log_timer] { t->cancel(); });
}

std::size_t ConnectionManager::shard_count() const { return impl_->config.shard_count; }

ManagerStats ConnectionManager::stats() const {
  ManagerStats s;
  const std::lock_guard lock(impl_->mutex);
  for (const auto& w : impl_->workers) s.workers.push_back(w->stats());
  return s;
}

}  // namespace ws_source
