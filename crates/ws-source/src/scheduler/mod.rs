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
pub use config::{ConfigError, SchedulerConfig};
pub use subscriptions::SubscriptionScheduler;
