//! Scheduler configuration ([`SchedulerConfig`]) and its validation error ([`ConfigError`]).

use serde::{Deserialize, Serialize};

/// Configuration of the [`SubscriptionScheduler`](super::SubscriptionScheduler) and of the
/// [`ActivityTracker`](super::ActivityTracker) that feeds it.
///
/// Plain data: deserialize it from a config file (unknown fields are rejected, missing fields take
/// their [`Default`]), then call [`SchedulerConfig::validate`].
///
/// ```
/// use ws_source::SchedulerConfig;
///
/// let cfg: SchedulerConfig = serde_json::from_str(r#"{"top_n": 5, "exploration_fraction": 0.2}"#).unwrap();
/// assert_eq!(cfg.top_n, 5);
/// assert_eq!(cfg.rebalance_interval_s, SchedulerConfig::default().rebalance_interval_s);
/// cfg.validate().unwrap();
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SchedulerConfig {
    /// Number of reserved slots: the `top_n` instruments by priority are always subscribed (as far
    /// as the capacity allows).
    pub top_n: usize,
    /// Share of the capacity spent on randomized exploration, in `[0, 1]`. The number of
    /// exploration slots is `round(exploration_fraction × total_slots)`, capped at
    /// `total_slots − top_n`.
    pub exploration_fraction: f64,
    /// Seconds between two rebalances; also the minimum time an exploration pick keeps its slot.
    /// Must be at least 1.
    pub rebalance_interval_s: u64,
    /// Hysteresis factor, `>= 0`: an incumbent keeps its slot unless a challenger's priority
    /// exceeds the incumbent's by the factor `1 + hysteresis`.
    pub hysteresis: f64,
    /// How exploration picks are drawn among the candidates (after the least recently explored
    /// preference): by posterior sampling of their rates (the default), uniformly, or with
    /// probability proportional to priority.
    pub exploration_weighting: ExplorationWeighting,
    /// Seed of the exploration randomness (mixed with the rebalance epoch).
    pub seed: u64,
    /// How many rebalance intervals an exploration pick keeps its slot before it may be rotated out
    /// (at least 1). Longer holds mean less churn and more time to observe the pick: in the
    /// synthetic market of `tests/scheduler_quality.rs` (100 slots, 10 % exploration), 6 intervals
    /// instead of 1 cut churn from ~24 to ~7 operations per rebalance at equal trade coverage
    /// (in `ws-source eval-scheduler`, 1,000 slots and 1 % exploration, measured with uniform
    /// draws and hysteresis 1.0: from ~25 to ~8).
    pub exploration_hold_intervals: u64,
    /// How many rebalance epochs an exploration pick is remembered; instruments explored within
    /// that window are the last to be explored again. Must be at least 1.
    pub exploration_memory_epochs: u64,
    /// Half-life of the decayed activity rates, in seconds (between 0.001 and 1e9).
    pub half_life_s: f64,
    /// Weight of the traded volume in the priority:
    /// `priority = message_rate + volume_weight × volume_rate` (finite, `>= 0`).
    pub volume_weight: f64,
    /// Share of each option trade credited to its put-call pair (same root, expiry and strike,
    /// the other right), in `[0, 1]`; 0 disables pooling. See
    /// [`ActivityTracker::record_option_trade`](super::ActivityTracker::record_option_trade).
    pub put_call_pooling: f64,
}

/// The defaults were tuned with `ws-source eval-scheduler` (1,000 slots, ~223,000 contracts, 250
/// option trades/s, one simulated hour per scenario; the figures are in the README):
///
/// - `volume_weight` 0: trade sizes are heavy-tailed, so weighting volume made the ranking noisier
///   and lowered coverage by count *and* by premium by 1–2 points;
/// - `half_life_s` 120: 60 s chased noise (greedy churned ~110 contracts per rebalance), 300 s
///   lagged behind drifting strikes;
/// - `hysteresis` 0.5: a challenger is ranked on the very estimate that made it look best, an
///   incumbent on fresh evidence, so demanding a margin corrects that selection bias and cuts
///   churn to ~40 % of greedy top-K's. 1.0 (a 2× margin) churned a little less but held decaying
///   incumbents too long when the active strikes drift: over seeds 1–4 it trailed greedy in one
///   drifting market, 0.5 led in all 16 scenario × seed runs (and in seeds 5–8, held out);
/// - `exploration_fraction` 0.01: the options trade feed (`T.*`) already reports every contract's
///   trades, so exploration buys no information for a trades-fed tracker and every exploration
///   slot costs coverage (10 % cost ~2 points); 1 % keeps the rotation through silent contracts
///   at a cost of ~0.1 point with uniform draws. `exploration_hold_intervals` stays 1 (picks
///   rotate every interval, as the spec's vectors expect); 6 cut churn from ~25 to ~8 per
///   rebalance at equal coverage (uniform draws, hysteresis 1.0);
/// - `exploration_weighting` `Posterior` with `exploration_memory_epochs` 12 (one minute at 5 s):
///   Thompson sampling spends the exploration slots just below the cut, where the ranking is
///   uncertain, instead of on silent contracts; in the drifting scenario this cut the cost of
///   exploration from ~0.13 to ~0.05 point and churn from ~25 to ~20 per rebalance. A memory of
///   720 epochs (an hour) pushed the picks back to silent contracts;
/// - `put_call_pooling` 0.15: crediting 15 % of each trade to the other right at the same strike
///   raised coverage by 0.05–0.1 point in every scenario (a less noisy estimate near the cut);
///   0.3 and 0.5 were worse in the drifting scenario (the pair's own liquidity differs).
impl Default for SchedulerConfig {
    fn default() -> Self {
        Self {
            top_n: 500,
            exploration_fraction: 0.01,
            rebalance_interval_s: 5,
            hysteresis: 0.5,
            exploration_weighting: ExplorationWeighting::Posterior,
            seed: 0x5EED,
            exploration_hold_intervals: 1,
            exploration_memory_epochs: 12,
            half_life_s: 120.0,
            volume_weight: 0.0,
            put_call_pooling: 0.15,
        }
    }
}

/// How exploration picks are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExplorationWeighting {
    /// Every candidate is equally likely.
    Uniform,
    /// Candidates are drawn with probability proportional to their priority (weighted sampling
    /// without replacement); zero-priority candidates come last. Spends the exploration slots on
    /// contracts that do trade, at the cost of rarely trying the silent ones.
    Priority,
    /// Thompson sampling: each candidate's rate is drawn from its posterior given its decayed
    /// event count (`priority × half_life / ln 2`, which is the count when `volume_weight` is 0),
    /// and the highest draws win. Spends the exploration slots where the ranking is uncertain
    /// (just below the cut), at the lowest cost. Draws are floored at 0: candidates drawn at 0
    /// (every silent one, and now and then one with a count below ~1) come after every positive
    /// draw, in uniformly random order. The default.
    #[default]
    Posterior,
}

/// Why a [`SchedulerConfig`] was rejected; every variant names the offending field.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    /// A floating-point field is NaN or infinite.
    #[error("scheduler config: `{field}` must be finite, got {value}")]
    NotFinite {
        /// Name of the field, as spelled in the config file.
        field: &'static str,
        /// The rejected value.
        value: f64,
    },
    /// A numeric field is outside its allowed range.
    #[error("scheduler config: `{field}` = {value} is out of range: {expected}")]
    OutOfRange {
        /// Name of the field, as spelled in the config file.
        field: &'static str,
        /// The rejected value, formatted.
        value: String,
        /// The allowed range, in words.
        expected: &'static str,
    },
}

impl ConfigError {
    /// Name of the offending field, as spelled in the config file.
    pub fn field(&self) -> &'static str {
        match self {
            Self::NotFinite { field, .. } | Self::OutOfRange { field, .. } => field,
        }
    }
}

fn finite(field: &'static str, value: f64) -> Result<f64, ConfigError> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(ConfigError::NotFinite { field, value })
    }
}

fn out_of_range(field: &'static str, value: impl ToString, expected: &'static str) -> ConfigError {
    ConfigError::OutOfRange {
        field,
        value: value.to_string(),
        expected,
    }
}

/// Checks the activity-tracker parameters (shared by the scheduler config and
/// [`ActivityTracker::new`](super::ActivityTracker::new)).
pub(crate) fn validate_activity(half_life_s: f64, volume_weight: f64) -> Result<(), ConfigError> {
    if !(0.001..=1e9).contains(&finite("half_life_s", half_life_s)?) {
        return Err(out_of_range(
            "half_life_s",
            half_life_s,
            "between 0.001 and 1e9 seconds",
        ));
    }
    if finite("volume_weight", volume_weight)? < 0.0 {
        return Err(out_of_range("volume_weight", volume_weight, ">= 0"));
    }
    Ok(())
}

/// Checks `put_call_pooling`: finite, within `[0, 1]`.
pub(crate) fn validate_pooling(share: f64) -> Result<(), ConfigError> {
    if !(0.0..=1.0).contains(&finite("put_call_pooling", share)?) {
        return Err(out_of_range("put_call_pooling", share, "within [0, 1]"));
    }
    Ok(())
}

impl SchedulerConfig {
    /// Checks every field; the error names the first bad field found.
    ///
    /// ```
    /// use ws_source::SchedulerConfig;
    ///
    /// let bad = SchedulerConfig { exploration_fraction: 1.5, ..SchedulerConfig::default() };
    /// assert_eq!(bad.validate().unwrap_err().field(), "exploration_fraction");
    /// ```
    pub fn validate(&self) -> Result<(), ConfigError> {
        let f = finite("exploration_fraction", self.exploration_fraction)?;
        if !(0.0..=1.0).contains(&f) {
            return Err(out_of_range("exploration_fraction", f, "within [0, 1]"));
        }
        if self.rebalance_interval_s == 0 {
            return Err(out_of_range("rebalance_interval_s", 0, ">= 1 second"));
        }
        if finite("hysteresis", self.hysteresis)? < 0.0 {
            return Err(out_of_range("hysteresis", self.hysteresis, ">= 0"));
        }
        if self.exploration_hold_intervals == 0 {
            return Err(out_of_range("exploration_hold_intervals", 0, ">= 1"));
        }
        if self.exploration_memory_epochs == 0 {
            return Err(out_of_range("exploration_memory_epochs", 0, ">= 1"));
        }
        validate_activity(self.half_life_s, self.volume_weight)?;
        validate_pooling(self.put_call_pooling)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_valid() {
        SchedulerConfig::default().validate().unwrap();
    }

    #[test]
    fn each_bad_field_is_named() {
        let d = SchedulerConfig::default;
        let cases: Vec<(SchedulerConfig, &str)> = vec![
            (
                SchedulerConfig {
                    exploration_fraction: f64::NAN,
                    ..d()
                },
                "exploration_fraction",
            ),
            (
                SchedulerConfig {
                    exploration_fraction: -0.1,
                    ..d()
                },
                "exploration_fraction",
            ),
            (
                SchedulerConfig {
                    rebalance_interval_s: 0,
                    ..d()
                },
                "rebalance_interval_s",
            ),
            (
                SchedulerConfig {
                    hysteresis: f64::INFINITY,
                    ..d()
                },
                "hysteresis",
            ),
            (
                SchedulerConfig {
                    hysteresis: -1.0,
                    ..d()
                },
                "hysteresis",
            ),
            (
                SchedulerConfig {
                    exploration_hold_intervals: 0,
                    ..d()
                },
                "exploration_hold_intervals",
            ),
            (
                SchedulerConfig {
                    exploration_memory_epochs: 0,
                    ..d()
                },
                "exploration_memory_epochs",
            ),
            (
                SchedulerConfig {
                    put_call_pooling: 1.5,
                    ..d()
                },
                "put_call_pooling",
            ),
            (
                SchedulerConfig {
                    put_call_pooling: f64::NAN,
                    ..d()
                },
                "put_call_pooling",
            ),
            (
                SchedulerConfig {
                    half_life_s: 0.0,
                    ..d()
                },
                "half_life_s",
            ),
            (
                SchedulerConfig {
                    half_life_s: 1e300,
                    ..d()
                },
                "half_life_s",
            ),
            (
                SchedulerConfig {
                    volume_weight: -2.0,
                    ..d()
                },
                "volume_weight",
            ),
        ];
        for (cfg, field) in cases {
            let err = cfg.validate().unwrap_err();
            assert_eq!(err.field(), field, "{err}");
            assert!(err.to_string().contains(field));
        }
    }

    #[test]
    fn serde_round_trip_and_unknown_fields() {
        let cfg = SchedulerConfig::default();
        let json = serde_json::to_string(&cfg).unwrap();
        let back: SchedulerConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(back, cfg);
        assert!(serde_json::from_str::<SchedulerConfig>(r#"{"topn": 3}"#).is_err());
    }
}
