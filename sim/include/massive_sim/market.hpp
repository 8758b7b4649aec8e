// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

/// @file
/// massive-sim's deterministic synthetic market, usable without any socket ("virtual time").
///
/// A `Market` is a universe of underlyings (also traded as stocks, Zipf-like popularity) and
/// their option chains (~223,000 contracts by default), a spot that moves every tick, heavy-tailed
/// single-contract bursts, optional intraday listings, and four feeds (option quotes, option
/// trades, stock quotes, stock trades) generated at exactly the configured rates. It knows the true
/// expected activity of every instrument (the oracle) and is a pure function of its config, its
/// seed and the sequence of `advance*` calls: no clock, no I/O, no global state.
///
/// ```cpp
/// massive_sim::MarketConfig cfg = massive_sim::MarketConfig::small();
/// cfg.rates = massive_sim::Rates::option_trades_only(2'000);
/// massive_sim::Market m(cfg, 42);
/// auto trades = m.advance(std::chrono::seconds(1), massive_sim::Feeds::option_trades_only());
/// // trades.size() == 2000; m.option_trade_intensities() sums to 2000 events/s.
/// ```
///
/// A port of the Rust prototype (`crates/massive-sim/src/market`, commit 7e893d0): same model,
/// constants, defaults, presets and random streams, so a seed gives the same events in both.
///
/// Thread safety: nothing here is thread-safe. A `Market` is used by one thread at a time (the
/// server holds one behind a mutex); the value types are plain data.

#include <array>
#include <chrono>
#include <compare>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace massive_sim {

// ---------------------------------------------------------------------------------------------
// Feeds
// ---------------------------------------------------------------------------------------------

/// One of the four feeds. The numeric values are stable (they are `index()`).
enum class Feed : std::uint8_t {
  OptionQuotes,  ///< `Q` on the options cluster
  OptionTrades,  ///< `T` on the options cluster
  StockQuotes,   ///< `Q` on the stocks cluster
  StockTrades,   ///< `T` on the stocks cluster
};

/// Every feed, in index order.
inline constexpr std::array<Feed, 4> kAllFeeds{Feed::OptionQuotes, Feed::OptionTrades, Feed::StockQuotes,
                                               Feed::StockTrades};

/// 0..3, stable.
[[nodiscard]] constexpr std::size_t index(Feed f) noexcept { return static_cast<std::size_t>(f); }
/// True for the two trade feeds.
[[nodiscard]] constexpr bool is_trade(Feed f) noexcept { return f == Feed::OptionTrades || f == Feed::StockTrades; }
/// True for the two feeds of the options cluster.
[[nodiscard]] constexpr bool is_option(Feed f) noexcept { return f == Feed::OptionQuotes || f == Feed::OptionTrades; }
/// "option_quotes", "option_trades", "stock_quotes", "stock_trades".
[[nodiscard]] std::string_view to_string(Feed f) noexcept;

/// A set of feeds (a bit mask, bit `index(f)`), to generate only what is needed.
struct Feeds {
  std::uint8_t bits{0};

  /// Every feed.
  [[nodiscard]] static constexpr Feeds all() noexcept { return Feeds{0b1111}; }
  /// No feed (the market still moves: spots, bursts, listings).
  [[nodiscard]] static constexpr Feeds none() noexcept { return Feeds{0}; }
  /// Option quotes and trades.
  [[nodiscard]] static constexpr Feeds options() noexcept { return Feeds{0b0011}; }
  /// Stock quotes and trades.
  [[nodiscard]] static constexpr Feeds stocks() noexcept { return Feeds{0b1100}; }
  /// Option trades only (what a scheduler evaluation needs).
  [[nodiscard]] static constexpr Feeds option_trades_only() noexcept { return Feeds{0b0010}; }
  /// The set holding `f` alone.
  [[nodiscard]] static constexpr Feeds only(Feed f) noexcept { return Feeds{bit(f)}; }

  /// Whether `f` is in the set.
  [[nodiscard]] constexpr bool contains(Feed f) const noexcept { return (bits & bit(f)) != 0; }
  /// The set with `f` added.
  [[nodiscard]] constexpr Feeds with(Feed f) const noexcept { return Feeds{static_cast<std::uint8_t>(bits | bit(f))}; }
  /// Union.
  [[nodiscard]] constexpr Feeds operator|(Feeds o) const noexcept {
    return Feeds{static_cast<std::uint8_t>(bits | o.bits)};
  }
  friend constexpr bool operator==(Feeds, Feeds) noexcept = default;

 private:
  static constexpr std::uint8_t bit(Feed f) noexcept { return static_cast<std::uint8_t>(1U << index(f)); }
};

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

/// Dense id of an instrument: stocks first (`0 .. n_stocks()`), then option contracts in listing
/// order (contract `i` is `n_stocks() + i`). Ids never change and are never reused.
struct InstrumentId {
  std::uint32_t value{0};
  auto operator<=>(const InstrumentId&) const = default;
};

/// Call or put.
enum class Right : std::uint8_t { Call, Put };

/// One generated event, before JSON encoding. Prices are whole cents (every synthetic price is).
/// For trades `price_cents` / `size` / `exchange` are the trade's; for quotes they are the bid
/// side and the `ask_*` fields the ask side. A trivially copyable value.
struct Event {
  Feed feed{Feed::OptionQuotes};
  InstrumentId instrument;                    ///< see `Market::symbol`
  std::int64_t ts_ms{0};                      ///< SIP timestamp, Unix ms (`t`)
  std::uint64_t seq{0};                       ///< per-symbol sequence number (`q`), strictly increasing per symbol
  std::uint32_t price_cents{0};               ///< trade price or bid price, cents
  std::uint32_t ask_cents{0};                 ///< ask price, cents (quotes only)
  std::uint32_t size{0};                      ///< trade size or bid size
  std::uint32_t ask_size{0};                  ///< ask size (quotes only)
  std::uint16_t exchange{0};                  ///< trade exchange or bid exchange id
  std::uint16_t ask_exchange{0};              ///< ask exchange id (quotes only)
  std::array<std::uint16_t, 2> conditions{};  ///< condition codes; the first `n_conditions` are valid
  std::uint8_t n_conditions{0};               ///< how many of `conditions` are set (0-2)
  std::uint8_t tape{0};                       ///< stocks: 1 NYSE, 2 AMEX/Arca, 3 Nasdaq; 0 for options
  std::uint64_t trade_id{0};                  ///< stock trade id (`i`); 0 otherwise
  std::uint16_t trf_id{0};                    ///< stock trade TRF id (`trfi`); 0 when absent
  std::int64_t trf_ts_ms{0};                  ///< stock trade TRF time, ms (`trft`), valid when `trf_id != 0`
  std::uint16_t indicator{0};                 ///< stock quote indicator (`i: [..]`); 0 when absent

  /// Trade price (or bid) in dollars.
  [[nodiscard]] constexpr double price() const noexcept { return static_cast<double>(price_cents) / 100.0; }
  /// Ask in dollars (quotes).
  [[nodiscard]] constexpr double ask() const noexcept { return static_cast<double>(ask_cents) / 100.0; }
  /// The valid condition codes (`conditions[0 .. n_conditions)`).
  [[nodiscard]] constexpr std::span<const std::uint16_t> condition_codes() const noexcept {
    return {conditions.data(), n_conditions < 2 ? std::size_t{n_conditions} : std::size_t{2}};
  }
  /// Option trades: premium in dollars (price × size × 100); other events: price × size.
  [[nodiscard]] constexpr double notional() const noexcept {
    return price() * static_cast<double>(size) * (feed == Feed::OptionTrades ? 100.0 : 1.0);
  }
  friend constexpr bool operator==(const Event&, const Event&) noexcept = default;
};

// ---------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------

/// Offered load per feed, in events per second of simulated time. The market emits exactly these
/// totals (fractional remainders carry over between steps); the split across instruments follows
/// the activity model. A negative, NaN or infinite rate counts as 0.
struct Rates {
  double option_quotes{5'000};  ///< `Q.O:…`, events/s
  double option_trades{250};    ///< `T.O:…`, events/s
  double stock_quotes{2'500};   ///< `Q.AAPL`, events/s
  double stock_trades{250};     ///< `T.AAPL`, events/s
  // The defaults are a light load (8,000 events/s in total) for tests running in parallel.

  /// No events at all.
  [[nodiscard]] static constexpr Rates zero() noexcept { return Rates{0, 0, 0, 0}; }
  /// The default proportions (quotes 20× trades, options 2× stocks) scaled to `total` events/s.
  [[nodiscard]] static constexpr Rates with_total(double total) noexcept {
    const Rates d{};
    const double k = total / d.total();
    return Rates{d.option_quotes * k, d.option_trades * k, d.stock_quotes * k, d.stock_trades * k};
  }
  /// Only option trades, at `per_s` events/s.
  [[nodiscard]] static constexpr Rates option_trades_only(double per_s) noexcept { return Rates{0, per_s, 0, 0}; }

  /// Sum over the four feeds.
  [[nodiscard]] constexpr double total() const noexcept {
    return option_quotes + option_trades + stock_quotes + stock_trades;
  }
  /// The rate of one feed.
  [[nodiscard]] constexpr double get(Feed f) const noexcept {
    switch (f) {
      case Feed::OptionQuotes:
        return option_quotes;
      case Feed::OptionTrades:
        return option_trades;
      case Feed::StockQuotes:
        return stock_quotes;
      case Feed::StockTrades:
        break;
    }
    return stock_trades;
  }
  friend constexpr bool operator==(const Rates&, const Rates&) noexcept = default;
};

/// Everything that shapes the synthetic market. Plain data: start from a preset (or the
/// defaults) and adjust fields. Durations are `std::chrono` values (any unit converts).
struct MarketConfig {
  /// Number of underlyings (each is also a stock ticker); at least 1 is built. Default 600.
  std::size_t underlyings{600};
  /// Zipf exponent of underlying popularity (rank r gets weight 1/(r+1)^s). Default 1.1.
  double zipf_exponent{1.1};
  /// Multiplies the number of strikes per expiry (1.0 gives ~223,000 contracts with 600
  /// underlyings; at least 2 strikes per expiry are listed). Default 1.0.
  double chain_scale{1.0};
  /// Simulated clock at construction, Unix ms. Default 2025-06-02T13:30:00Z (09:30 New York, a
  /// Monday). Expiries are laid out from this date. The server sets it to the wall clock unless
  /// its clock is fixed.
  std::int64_t start_unix_ms{1'748'871'000'000};
  /// Market tick: spots move, bursts start and end, listings appear and per-contract intensities
  /// are refreshed once per tick. At least 1 ms is used. Default 1 s. Larger ticks make offline
  /// evaluation faster.
  std::chrono::nanoseconds tick{std::chrono::seconds(1)};
  /// A chain's intensities are recomputed at a tick only if its spot moved by more than this (log
  /// return), a contract expired, it got new listings, or they are older than `refresh_max_age`.
  /// Default 0.0005 (5 bp). 0 recomputes every tick.
  double refresh_spot_move{0.0005};
  /// Maximum age of a chain's intensities (time to expiry keeps moving). Default 60 s.
  std::chrono::nanoseconds refresh_max_age{std::chrono::seconds(60)};
  /// Spot volatility per √hour (log-return standard deviation). Default 0.004.
  double spot_vol_per_sqrt_hour{0.004};
  /// Spot drift per hour (log return); each underlying gets a random sign. Default 0.
  double spot_drift_per_hour{0.0};
  /// Exponent k of the time-to-expiry activity factor 1/(days + 0.5)^k. Default 1.0.
  double tte_decay{1.0};
  /// Activity floor of far-from-the-money contracts, relative to at the money. Default 0.002.
  double moneyness_floor{0.002};
  /// Expected new single-contract bursts per simulated second (market-wide). Default 0.02.
  double burst_rate_per_s{0.02};
  /// Pareto tail index of a burst's share of its feed (smaller = heavier tail). Default 1.3.
  double burst_alpha{1.3};
  /// Minimum share of the feed one burst takes. Default 0.0005.
  double burst_min_share{0.0005};
  /// Maximum share of the feed one burst takes. Default 0.1. All bursts together never take
  /// more than 0.5 (they are scaled down together).
  double burst_max_share{0.1};
  /// Mean burst duration (heavy-tailed: Pareto α = 1.5 from mean/3, capped at 20× the mean).
  /// Default 15 s.
  std::chrono::nanoseconds burst_mean_duration{std::chrono::seconds(15)};
  /// When set, every interval (at least 1 ms) some underlyings list a new near-dated expiry, with
  /// strikes around the current spot, that is active at once. Default none.
  std::optional<std::chrono::nanoseconds> listing_interval;
  /// How many underlyings list a new expiry at each listing time. Default 10.
  std::size_t listing_underlyings{10};
  /// Offered load per feed.
  Rates rates;

  /// No spot movement and no bursts: intensities change only through time to expiry.
  [[nodiscard]] static MarketConfig stationary();
  /// Strong spot moves (3 % per √hour plus a 2 %/hour trend), so the active strikes move.
  [[nodiscard]] static MarketConfig drifting();
  /// Frequent heavy-tailed single-contract bursts (one every 2 s on average, tail index 1.1,
  /// at most 30 % of a feed each).
  [[nodiscard]] static MarketConfig bursty();
  /// New expiries listed intraday every 10 simulated minutes on 20 underlyings.
  [[nodiscard]] static MarketConfig new_listings();
  /// A small universe (40 underlyings, a quarter of the strikes: ~14,000 contracts) for fast tests.
  [[nodiscard]] static MarketConfig small();
  /// A preset by name: "default", "stationary", "drifting", "bursty", "new-listings" (or
  /// "new_listings"); nullopt for any other name.
  [[nodiscard]] static std::optional<MarketConfig> preset(std::string_view name);
  /// The names `preset` accepts, for help texts and error messages.
  [[nodiscard]] static std::span<const std::string_view> preset_names() noexcept;

  friend bool operator==(const MarketConfig&, const MarketConfig&) = default;
};

// ---------------------------------------------------------------------------------------------
// The universe and the oracle's values
// ---------------------------------------------------------------------------------------------

/// Expected events per second of one instrument right now (the oracle).
struct Intensity {
  double quotes{0};  ///< quotes/s
  double trades{0};  ///< trades/s
  friend constexpr bool operator==(const Intensity&, const Intensity&) noexcept = default;
};

/// A single-contract burst currently in force: it takes `share` of each option feed first.
struct Burst {
  InstrumentId instrument;  ///< the contract
  double share{0};          ///< share of each option feed it takes (after capping all bursts to 0.5)
  std::int64_t end_ms{0};   ///< when it ends, Unix ms
  double raw_share{0};      ///< its share before the common cap
  friend constexpr bool operator==(const Burst&, const Burst&) noexcept = default;
};

/// An underlying (also traded as a stock). `symbol` points into the owning Market's symbol
/// storage and stays valid as long as that Market (it survives moves of the Market).
struct Underlying {
  std::string_view symbol;           ///< ticker, e.g. "AAPL"
  double popularity{0};              ///< Zipf share, summing to 1 over all underlyings
  double spot{0};                    ///< current spot, dollars
  double iv{0};                      ///< implied volatility: option prices and the active strike band
  double drift_sign{1};              ///< +1 or -1: the direction of this underlying's drift
  std::uint8_t tape{1};              ///< 1, 2 or 3
  std::vector<std::uint32_t> chain;  ///< indices into `Market::contracts()`, grouped by expiry
};

/// A listed option contract. `symbol` is as for `Underlying`.
struct Contract {
  std::string_view symbol;        ///< "O:" + OCC, e.g. "O:SPY251219C00650000"
  std::uint32_t underlying{0};    ///< index of the underlying (= its stock id)
  std::int64_t expiry_day{0};     ///< expiry date, days since 1970-01-01
  std::int64_t expiry_ms{0};      ///< expiry instant, Unix ms (20:00 UTC of the expiry date)
  std::uint64_t strike_milli{0};  ///< strike × 1000
  Right right{Right::Call};       ///< call or put
  float liquidity{1};             ///< static liquidity factor (log-normal around 1)
  float ln_strike{0};             ///< ln(strike), cached for the activity model
  std::int64_t listed_at_ms{0};   ///< when it was listed (the market start for the initial universe)

  /// Strike in dollars.
  [[nodiscard]] double strike() const noexcept { return static_cast<double>(strike_milli) / 1000.0; }
};

// ---------------------------------------------------------------------------------------------
// The market
// ---------------------------------------------------------------------------------------------

/// Receives generated events. `symbol` is the event's instrument symbol ("AAPL" or
/// "O:SPY251219C00650000"), valid during the call (in fact for the Market's lifetime). An
/// implementation must not call back into the Market that is generating.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void on_event(const Event& ev, std::string_view symbol) = 0;
};

/// The synthetic market. Deterministic: the same config, seed and sequence of `advance*` calls
/// (same durations, same feed sets) give the same events; oracle calls never change them.
///
/// Ownership: owns its universe, symbols and state. Movable (a moved-from Market may only be
/// destroyed or assigned to), not copyable. Not thread-safe: one thread at a time.
///
/// Views it hands out: symbols (`symbol()`, `Underlying::symbol`, `Contract::symbol`, the sink's
/// `symbol`) live as long as the Market. Spans and pointers into the universe (`underlyings()`,
/// `contracts()`, `contract()`, `active_bursts()`) are valid until the next `advance*` call
/// (listings and ticks change them).
class Market {
 public:
  /// Builds the universe (about 0.1 s for the default ~223,000 contracts) and the initial state.
  /// The clock starts at `cfg.start_unix_ms`. Throws only `std::bad_alloc`.
  Market(MarketConfig cfg, std::uint64_t seed);
  ~Market();
  Market(Market&&) noexcept;
  Market& operator=(Market&&) noexcept;
  Market(const Market&) = delete;
  Market& operator=(const Market&) = delete;

  /// The configuration (its `rates` are the current ones).
  [[nodiscard]] const MarketConfig& config() const noexcept;
  /// The current offered load.
  [[nodiscard]] Rates rates() const noexcept;
  /// Changes the offered load from now on (the fractional carry of each feed is kept).
  void set_rates(const Rates& rates) noexcept;

  /// Simulated time, Unix ms (floor of `now_ns() / 1e6`).
  [[nodiscard]] std::int64_t now_ms() const noexcept;
  /// Simulated time, Unix ns.
  [[nodiscard]] std::int64_t now_ns() const noexcept;

  /// Number of stocks (= underlyings); option ids start here.
  [[nodiscard]] std::size_t n_stocks() const noexcept;
  /// Number of instruments (stocks + contracts); grows with intraday listings.
  [[nodiscard]] std::size_t instrument_count() const noexcept;
  /// Symbol of an instrument ("AAPL" or "O:SPY251219C00650000"); empty for an unknown id.
  [[nodiscard]] std::string_view symbol(InstrumentId id) const noexcept;
  /// Id of a listed symbol (a hash lookup, no allocation); nullopt if not listed.
  [[nodiscard]] std::optional<InstrumentId> lookup(std::string_view symbol) const noexcept;
  /// Whether `id` is an option contract (any id >= n_stocks(), even one not listed yet).
  [[nodiscard]] bool is_option(InstrumentId id) const noexcept;
  /// Last sequence number issued for an instrument (0: none yet, or unknown id).
  [[nodiscard]] std::uint64_t last_seq(InstrumentId id) const noexcept;

  /// Underlyings by popularity rank (index = stock id).
  [[nodiscard]] std::span<const Underlying> underlyings() const noexcept;
  /// Listed contracts, including intraday listings (contract `i` has id `n_stocks() + i`).
  [[nodiscard]] std::span<const Contract> contracts() const noexcept;
  /// The contract behind an option id; nullptr for a stock or an unknown id.
  [[nodiscard]] const Contract* contract(InstrumentId id) const noexcept;
  /// Current spot of an underlying ticker; nullopt for an unknown ticker or an option symbol.
  [[nodiscard]] std::optional<double> spot(std::string_view ticker) const noexcept;
  /// Bursts in force.
  [[nodiscard]] std::span<const Burst> active_bursts() const noexcept;

  /// Advances simulated time by `dt` (negative counts as 0), calling `sink.on_event` for each
  /// generated event of `feeds`, in time order. Feeds outside `feeds` are not drawn at all
  /// (faster; their fractional carry is not advanced either). The hot path: no allocation per
  /// event (a tick may allocate when listings or bursts change the universe).
  void advance_with(std::chrono::nanoseconds dt, Feeds feeds, EventSink& sink);

  /// `advance_with` with any callable `f(const Event&, std::string_view symbol)`.
  template <class F>
  requires std::invocable<F&, const Event&, std::string_view> &&
      (!std::derived_from<std::remove_cvref_t<F>, EventSink>)void advance_with(std::chrono::nanoseconds dt, Feeds feeds,
                                                                               F&& f) {
    struct Adapter final : EventSink {
      explicit Adapter(std::remove_reference_t<F>& fn) noexcept : fn_(fn) {}
      void on_event(const Event& ev, std::string_view symbol) override { std::invoke(fn_, ev, symbol); }
      std::remove_reference_t<F>& fn_;
    };
    Adapter adapter(f);
    advance_with(dt, feeds, static_cast<EventSink&>(adapter));
  }

  /// Advances by `dt` and returns the generated events of `feeds` in time order (allocates:
  /// for tests and offline evaluation).
  [[nodiscard]] std::vector<Event> advance(std::chrono::nanoseconds dt, Feeds feeds = Feeds::all());

  // --- The oracle. None of these changes the course of the market. -------------------------

  /// Expected events/s of every instrument of `feed` right now: indexed by contract index (id −
  /// n_stocks()) for the option feeds, by stock index for the stock feeds. Sums to the feed's rate
  /// (less any share no listed instrument can take, e.g. once every chain has expired).
  [[nodiscard]] std::vector<double> feed_intensities(Feed feed);
  /// Expected option trades/s of every contract with non-zero activity right now, by id.
  [[nodiscard]] std::vector<std::pair<InstrumentId, double>> option_trade_intensities();
  /// Expected option quotes/s of every contract with non-zero activity right now, by id.
  [[nodiscard]] std::vector<std::pair<InstrumentId, double>> option_quote_intensities();
  /// Expected quotes/s and trades/s of one symbol right now; nullopt if it is not listed. Costs a
  /// chain rebuild at most; for many instruments use `feed_intensities`.
  [[nodiscard]] std::optional<Intensity> intensity(std::string_view symbol);
  /// The same for an id (all zero for an unknown id).
  [[nodiscard]] Intensity intensity_of(InstrumentId id);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace massive_sim

template <>
struct std::hash<massive_sim::InstrumentId> {
  std::size_t operator()(massive_sim::InstrumentId id) const noexcept { return std::hash<std::uint32_t>{}(id.value); }
};
