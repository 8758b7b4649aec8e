//! Orderings and bounded top-k selection (no full sort of the known universe).

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

/// The priority the scheduler uses for a raw value: NaN, infinite and negative values count as 0.
#[inline]
pub(crate) fn sanitize(p: f64) -> f64 {
    if p.is_finite() && p > 0.0 { p } else { 0.0 }
}

/// An instrument ranked by priority; `Greater` means *better*: higher priority, then the smaller
/// symbol (ties are broken deterministically by symbol).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ranked<'a> {
    pub p: f64,
    pub sym: &'a str,
}

impl Ord for Ranked<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.p
            .total_cmp(&other.p)
            .then_with(|| other.sym.cmp(self.sym))
    }
}
impl PartialOrd for Ranked<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for Ranked<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Ranked<'_> {}

/// The `k` best items of `items` (by `Ord`, greatest first), in O(n log k) time and O(k) memory.
pub(crate) fn top_k<T: Ord + Copy>(items: impl Iterator<Item = T>, k: usize) -> Vec<T> {
    if k == 0 {
        return Vec::new();
    }
    let mut heap: BinaryHeap<Reverse<T>> =
        BinaryHeap::with_capacity(k.saturating_add(1).min(1 << 16));
    for item in items {
        if heap.len() < k {
            heap.push(Reverse(item));
        } else if let Some(mut worst) = heap.peek_mut() {
            if item > worst.0 {
                *worst = Reverse(item);
            }
        }
    }
    let mut out: Vec<T> = heap.into_iter().map(|Reverse(t)| t).collect();
    out.sort_unstable_by(|a, b| b.cmp(a));
    out
}

/// An exploration candidate; `Less` means *preferred*: explored longer ago (tier 0 = never or
/// forgotten), then the smaller random draw, then the smaller symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct ExploreKey<'a> {
    pub tier: u64,
    pub draw: u64,
    pub sym: &'a str,
}

/// Keeps the `k` smallest keys pushed into it.
pub(crate) struct Smallest<T> {
    heap: BinaryHeap<T>,
    k: usize,
}

impl<T: Ord> Smallest<T> {
    pub(crate) fn new(k: usize) -> Self {
        Self {
            heap: BinaryHeap::with_capacity(k.saturating_add(1).min(1 << 16)),
            k,
        }
    }

    /// The largest key kept, once `k` keys are kept: a new key must be smaller to get in.
    pub(crate) fn bar(&self) -> Option<&T> {
        if self.heap.len() >= self.k {
            self.heap.peek()
        } else {
            None
        }
    }

    pub(crate) fn push(&mut self, item: T) {
        if self.k == 0 {
            return;
        }
        if self.heap.len() < self.k {
            self.heap.push(item);
        } else if let Some(mut worst) = self.heap.peek_mut() {
            if item < *worst {
                *worst = item;
            }
        }
    }

    /// The kept keys, smallest first.
    pub(crate) fn into_sorted(self) -> Vec<T> {
        self.heap.into_sorted_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_maps_bad_values_to_zero() {
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -1.0, -0.0] {
            assert_eq!(sanitize(bad).to_bits(), 0.0f64.to_bits());
        }
        assert_eq!(sanitize(2.5), 2.5);
    }

    #[test]
    fn ranked_breaks_ties_by_symbol() {
        let a = Ranked { p: 1.0, sym: "A" };
        let b = Ranked { p: 1.0, sym: "B" };
        assert!(a > b);
        assert!(Ranked { p: 2.0, sym: "Z" } > a);
    }

    #[test]
    fn top_k_matches_full_sort() {
        let v: Vec<u32> = (0..1000).map(|i| (i * 7919) % 1009).collect();
        let mut sorted = v.clone();
        sorted.sort_unstable_by(|a, b| b.cmp(a));
        for k in [0, 1, 5, 999, 1000, 2000] {
            assert_eq!(top_k(v.iter().copied(), k), sorted[..k.min(1000)].to_vec());
        }
    }

    #[test]
    fn smallest_keeps_k_smallest() {
        let mut s = Smallest::new(3);
        for x in [5, 1, 9, 3, 7, 2] {
            s.push(x);
        }
        assert_eq!(s.bar(), Some(&3));
        assert_eq!(s.into_sorted(), vec![1, 2, 3]);
        let mut z = Smallest::new(0);
        z.push(1);
        assert!(z.into_sorted().is_empty());
    }
}
