//! What a rebalance decides: [`Allocation`] (the new set and the diff) and [`SlotRole`].

use serde::{Deserialize, Serialize};

/// Why an instrument holds a subscription slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SlotRole {
    /// One of the `top_n` instruments by priority: always subscribed.
    Reserved,
    /// Holds one of the remaining non-exploration slots by priority (with hysteresis).
    Exploit,
    /// A randomized exploration pick, held for at least one rebalance interval.
    Explore,
}

/// The outcome of one rebalance (or the preview of one, see
/// [`SubscriptionScheduler::plan`](super::SubscriptionScheduler::plan)).
///
/// Every list is sorted by symbol, so equal states give byte-identical allocations.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Allocation {
    /// The rebalance epoch this allocation belongs to (1 for the first rebalance).
    pub epoch: u64,
    /// The capacity it was computed for.
    pub total_slots: usize,
    /// Instruments holding reserved (`top_n`) slots.
    pub reserved: Vec<String>,
    /// Instruments holding exploitation slots (next-best by priority, with hysteresis).
    pub exploited: Vec<String>,
    /// Instruments holding exploration slots (held picks and new random picks).
    pub explored: Vec<String>,
    /// Instruments to subscribe now (in the new set, not in the previous one).
    pub to_subscribe: Vec<String>,
    /// Instruments to unsubscribe now (in the previous set, not in the new one).
    pub to_unsubscribe: Vec<String>,
}

impl Allocation {
    /// Number of subscribed instruments after this allocation.
    pub fn active_count(&self) -> usize {
        self.reserved.len() + self.exploited.len() + self.explored.len()
    }

    /// Every subscribed instrument with its role (reserved, then exploited, then explored; each
    /// group sorted by symbol).
    pub fn active(&self) -> impl Iterator<Item = (&str, SlotRole)> + '_ {
        let r = self
            .reserved
            .iter()
            .map(|s| (s.as_str(), SlotRole::Reserved));
        let x = self
            .exploited
            .iter()
            .map(|s| (s.as_str(), SlotRole::Exploit));
        let e = self
            .explored
            .iter()
            .map(|s| (s.as_str(), SlotRole::Explore));
        r.chain(x).chain(e)
    }

    /// Every subscribed instrument, sorted by symbol.
    pub fn active_sorted(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.active().map(|(s, _)| s).collect();
        v.sort_unstable();
        v
    }

    /// Number of instruments that lost their slot (the `evictions` metric).
    pub fn evictions(&self) -> usize {
        self.to_unsubscribe.len()
    }

    /// True if nothing changes (no subscribe, no unsubscribe).
    pub fn is_unchanged(&self) -> bool {
        self.to_subscribe.is_empty() && self.to_unsubscribe.is_empty()
    }
}

/// A currently subscribed instrument, as the scheduler remembers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Incumbent {
    pub role: SlotRole,
    /// When it got its current role (Unix ns); for exploration picks, when they were picked.
    pub since_ns: i64,
}
