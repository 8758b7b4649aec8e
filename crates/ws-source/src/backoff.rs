//! Reconnect policy: exponential backoff with bounded jitter, reset only after a healthy spell.
//!
//! Attempt `n` (0-based) waits `min(initial × multiplier^n, max)`, then jitter moves it by at most
//! `±jitter` of itself. The attempt counter resets only once a connection has stayed up for
//! `reset_after_healthy`, so a server that accepts and immediately drops us still backs off.
//! The policy never gives up: every attempt is logged and counted by the worker.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Backoff settings (plain data; milliseconds).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BackoffConfig {
    /// First delay, ms (default 1,000).
    pub initial_ms: u64,
    /// Cap, ms (default 60,000).
    pub max_ms: u64,
    /// Growth factor per attempt (default 2).
    pub multiplier: f64,
    /// Jitter as a fraction of the delay, in `[0, 0.5]` (default 0.1 = ±10%).
    pub jitter: f64,
    /// A connection that stays up this long resets the backoff, ms (default 30,000).
    pub reset_after_healthy_ms: u64,
}

impl Default for BackoffConfig {
    fn default() -> Self {
        BackoffConfig {
            initial_ms: 1_000,
            max_ms: 60_000,
            multiplier: 2.0,
            jitter: 0.1,
            reset_after_healthy_ms: 30_000,
        }
    }
}

/// The backoff state of one worker.
///
/// ```
/// use std::time::Duration;
/// use ws_source::backoff::{Backoff, BackoffConfig};
/// let mut b = Backoff::new(BackoffConfig { jitter: 0.0, ..Default::default() }, 7);
/// let delays: Vec<_> = (0..8).map(|_| b.next_delay()).collect();
/// assert_eq!(delays[..4], [1, 2, 4, 8].map(Duration::from_secs));
/// assert_eq!(delays[7], Duration::from_secs(60)); // capped
/// ```
#[derive(Debug, Clone)]
pub struct Backoff {
    config: BackoffConfig,
    attempt: u32,
    rng: u64,
}

impl Backoff {
    /// A fresh policy; `seed` makes the jitter reproducible (use e.g. the shard id).
    pub fn new(config: BackoffConfig, seed: u64) -> Backoff {
        Backoff {
            config,
            attempt: 0,
            rng: seed ^ 0x9E37_79B9_7F4A_7C15,
        }
    }

    /// How many delays have been handed out since the last reset.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The delay before the next attempt; advances the attempt counter.
    pub fn next_delay(&mut self) -> Duration {
        let c = &self.config;
        let base = (c.initial_ms as f64) * c.multiplier.powi(self.attempt.min(64) as i32);
        let base = base.min(c.max_ms as f64);
        let jitter = c.jitter.clamp(0.0, 0.5);
        let unit = self.next_unit() * 2.0 - 1.0; // [-1, 1)
        let ms = (base * (1.0 + jitter * unit)).max(0.0);
        self.attempt = self.attempt.saturating_add(1);
        Duration::from_micros((ms * 1_000.0) as u64)
    }

    /// Call when a connection ends after having been up for `uptime`: resets the attempt counter
    /// if it was healthy long enough.
    pub fn connection_ended(&mut self, uptime: Duration) {
        if uptime >= Duration::from_millis(self.config.reset_after_healthy_ms) {
            self.attempt = 0;
        }
    }

    fn next_unit(&mut self) -> f64 {
        // SplitMix64: enough for jitter, and reproducible.
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_then_caps() {
        let mut b = Backoff::new(
            BackoffConfig {
                jitter: 0.0,
                ..Default::default()
            },
            1,
        );
        let got: Vec<u64> = (0..9).map(|_| b.next_delay().as_millis() as u64).collect();
        assert_eq!(
            got,
            [
                1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000
            ]
        );
    }

    #[test]
    fn jitter_is_bounded_and_varies() {
        let mut b = Backoff::new(BackoffConfig::default(), 42);
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..200 {
            b.attempt = 0;
            let d = b.next_delay().as_micros() as f64 / 1_000.0;
            assert!((900.0..=1_100.0).contains(&d), "{d}");
            seen.insert(d as u64);
        }
        assert!(seen.len() > 50, "jitter should spread delays");
    }

    #[test]
    fn resets_only_after_a_healthy_connection() {
        let mut b = Backoff::new(
            BackoffConfig {
                jitter: 0.0,
                ..Default::default()
            },
            1,
        );
        b.next_delay();
        b.next_delay();
        b.connection_ended(Duration::from_secs(5));
        assert_eq!(b.next_delay(), Duration::from_secs(4));
        b.connection_ended(Duration::from_secs(30));
        assert_eq!(b.next_delay(), Duration::from_secs(1));
    }
}
