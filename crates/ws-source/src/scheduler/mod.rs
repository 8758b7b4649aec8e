//! Subscription scheduling: which instruments get the limited quote-subscription slots.
//!
//! Massive allows 1,000 option contracts per connection for quotes, out of more than a million
//! listed contracts. The [`SubscriptionScheduler`] reserves slots for the most active contracts (by
//! the decayed rates an [`ActivityTracker`] computes from the trades feed and the subscribed
//! streams), spends a fraction of the capacity on randomized exploration, and uses hysteresis so the
//! subscribed set does not churn. Everything here is pure logic: no I/O, no clock reads.
//!
//! - [`config`]: [`SchedulerConfig`] and [`ConfigError`];
//! - [`activity`]: [`ActivityTracker`], lazily decayed per-instrument rates;
//! - [`allocation`]: [`Allocation`] (a rebalance's outcome and diff) and [`SlotRole`];
//! - `subscriptions`: [`SubscriptionScheduler`];
//! - `allocate`, `rank`, `rng`: the algorithm, bounded top-k selection, seeded randomness.
//!
//! # Decisions
//!
//! - **State and time.** [`SubscriptionScheduler::allocate_slots`] is `&self`, so the scheduler
//!   keeps the committed state (the subscribed set with each slot's role and start time, the
//!   exploration history and the epoch) and [`SubscriptionScheduler::rebalance`] is the only thing
//!   that changes it. `allocate_slots` previews the next *timely* rebalance (one interval after the
//!   last); [`SubscriptionScheduler::plan`] previews a rebalance at any time.
//! - **Randomness** is a pure function of `(seed, epoch, symbol)` (SplitMix64 over a stable
//!   FNV-1a hash of the symbol), independent of `HashMap` order, platform and crate versions.
//! - **Exploration** picks among the instruments outside the exploitation set, never or least
//!   recently explored first (remembered for `exploration_memory_epochs`), so it rotates; within
//!   that, by Thompson sampling by default (each candidate's decayed count perturbed by its
//!   Poisson noise, so the draws land where the ranking is uncertain), uniformly, or in proportion
//!   to priority ([`ExplorationWeighting`]).
//! - **Put-call pooling.** [`ActivityTracker::record_option_trade`] credits a share
//!   (`put_call_pooling`) of each option trade to the other right at the same strike: the two
//!   trade together, so pooling lowers the noise of the estimates near the cut. The result is
//!   still a decayed count, so the incremental hand-over below stays exact.
//! - **Hysteresis** is a score boost: incumbents compete with priority × `(1 + hysteresis)` and win
//!   ties. The reserved `top_n` is unconditional, so a newcomer to the top `top_n` displaces the
//!   lowest-scored incumbent even without exceeding the factor.
//! - **Snapshots.** [`SubscriptionScheduler::update_priorities`] replaces the priorities (absent
//!   instruments are forgotten, subscribed ones stay known at priority 0 until they lose their
//!   slot). NaN, infinite and negative priorities count as 0 rather than failing.
//! - **Incremental hand-over.** All decayed rates shrink by the same factor over time, so
//!   [`SubscriptionScheduler::sync_from`] scales every stored priority by that factor and refreshes
//!   only the instruments recorded since the last sync (a full copy after the tracker removed
//!   instruments). Same values as a snapshot, at a fraction of the cost for large universes.
//! - **Capacity** is an argument of every rebalance, so backpressure lowers it there;
//!   [`SubscriptionScheduler::shed_to`] sheds the lowest priorities at once, between rebalances.
//! - **Cost** (release build, 2 cores shared with other builds, medians of
//!   `cargo bench -p ws-source --bench scheduler` over several runs): a rebalance of 1.5M known
//!   contracts into 1,000 slots (100 exploration slots) takes ~39 ms with posterior exploration,
//!   which skips a candidate whose best possible draw cannot beat the bar before reading its
//!   symbol, and ~118 ms with uniform draws, mostly reading each symbol's bytes (10k: 1.4 ms and
//!   1.0 ms); `allocate_slots` at 1.5M 1–1.3 s (it builds a map of every
//!   known symbol); handing a 1.5M tracker over: `sync_from` with 1 % of the contracts changed
//!   45–55 ms, a full copy with `update_priorities_from` 0.45–0.55 s.

#![warn(missing_docs)]

pub mod activity;
mod allocate;
pub mod allocation;
pub mod config;
mod rank;
mod rng;
mod subscriptions;

pub use activity::ActivityTracker;
pub use allocation::{Allocation, SlotRole};
pub use config::{ConfigError, ExplorationWeighting, SchedulerConfig};
pub use subscriptions::SubscriptionScheduler;
