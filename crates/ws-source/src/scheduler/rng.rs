//! Deterministic, platform-independent randomness for exploration.
//!
//! Exploration must be reproducible for a given state and seed, and independent of `HashMap`
//! iteration order. So each candidate gets a pseudo-random key derived only from
//! `(seed, epoch, symbol)`: a stable 64-bit hash of the symbol mixed with the epoch seed through
//! SplitMix64's finalizer. Picking the candidates with the smallest keys is a uniform random sample.

/// SplitMix64 finalizer: a bijective 64-bit mixer with good avalanche.
#[inline]
pub(crate) fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Seed of one rebalance epoch.
#[inline]
pub(crate) fn epoch_seed(seed: u64, epoch: u64) -> u64 {
    mix64(seed ^ mix64(epoch.wrapping_mul(0xd1b5_4a32_d192_ed03)))
}

/// Stable hash of a symbol (FNV-1a over the bytes, 8 at a time, then mixed). Stable across
/// processes, platforms and Rust versions, unlike `std`'s `RandomState`.
#[inline]
pub(crate) fn symbol_hash(symbol: &str) -> u64 {
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let bytes = symbol.as_bytes();
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = (h ^ u64::from_le_bytes(w)).wrapping_mul(PRIME);
        h ^= h >> 29;
    }
    for &b in chunks.remainder() {
        h = (h ^ u64::from(b)).wrapping_mul(PRIME);
    }
    mix64(h ^ bytes.len() as u64)
}

/// The exploration key of `symbol` in the epoch whose seed is `epoch_seed`.
#[inline]
pub(crate) fn draw(epoch_seed: u64, symbol: &str) -> u64 {
    mix64(epoch_seed ^ symbol_hash(symbol))
}

/// Smallest weight used for weighted draws, so that zero-priority instruments are still drawn
/// (after every instrument with activity).
const MIN_WEIGHT: f64 = 1e-12;

/// Weighted-sampling key (Efraimidis–Spirakis): `−ln(u) / w` with `u` uniform in `(0, 1]` taken
/// from `draw`; keeping the smallest keys samples without replacement with probabilities
/// proportional to the weights. Returned as the bits of the non-negative `f64` key, which order
/// like the key itself.
#[inline]
pub(crate) fn weighted_key(draw: u64, weight: f64) -> u64 {
    let u = ((draw >> 11) + 1) as f64 / (1u64 << 53) as f64;
    let w = if weight.is_finite() && weight > MIN_WEIGHT {
        weight
    } else {
        MIN_WEIGHT
    };
    let key = -u.ln() / w;
    // `u = 1` gives `-0.0`, whose bits would sort last: map it (and only it) to 0.
    if key > 0.0 { key.to_bits() } else { 0 }
}

/// Posterior-sampling key (Thompson sampling): a draw of the decayed event count `n = priority ×
/// window_s` perturbed by its Poisson noise, `n + √n · z` with `z` standard normal (Box–Muller
/// from the two halves of `draw`), floored at 0. Larger samples are preferred, so the key is the
/// bitwise complement of the sample's bits (non-negative floats order like their bits); ties (e.g.
/// among silent instruments, all at 0) are broken by a uniform draw.
#[inline]
pub(crate) fn posterior_key(draw: u64, priority: f64, window_s: f64) -> u64 {
    let n = priority * window_s;
    let n = if n.is_finite() && n > 0.0 { n } else { 0.0 };
    let u1 = ((draw >> 32) + 1) as f64 / (1u64 << 32) as f64; // (0, 1]
    let u2 = (draw & 0xffff_ffff) as f64 / (1u64 << 32) as f64; // [0, 1)
    let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
    let sample = (n + n.sqrt() * z).max(0.0);
    // Quantize the sample to f32 precision and append 20 random bits for tie-breaking.
    let bits = u64::from((sample as f32).to_bits());
    !((bits << 20) | (mix64(draw) >> 44))
}

/// Bound on `|z|` in [`posterior_key`]: Box–Muller with `u1 >= 2^-32` gives
/// `sqrt(-2 ln 2^-32) ≈ 6.66`.
const Z_MAX: f64 = 6.7;

/// The largest sample [`posterior_key`] can draw for `priority`: lets the exploration pass skip
/// candidates that cannot beat the current bar without hashing their symbol.
#[inline]
pub(crate) fn posterior_upper_bound(priority: f64, window_s: f64) -> f32 {
    let n = priority * window_s;
    let n = if n.is_finite() && n > 0.0 { n } else { 0.0 };
    (n + n.sqrt() * Z_MAX) as f32
}

/// The sample a [`posterior_key`] was made from (at the key's `f32` precision).
#[inline]
pub(crate) fn posterior_sample(key: u64) -> f32 {
    // The sample's bits are bits 20..52 of the complemented key.
    f32::from_bits(((!key) >> 20) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_values() {
        // Pinned so that a change of the hash (which would change every exploration pick) is a
        // conscious decision.
        assert_eq!(mix64(0), 0xe220_a839_7b1d_cdaf);
        assert_ne!(symbol_hash("AAPL"), symbol_hash("AAPM"));
        assert_ne!(symbol_hash(""), symbol_hash("\0"));
        assert_ne!(epoch_seed(1, 0), epoch_seed(1, 1));
        assert_ne!(epoch_seed(1, 0), epoch_seed(2, 0));
    }

    #[test]
    fn weighted_keys_order_and_favour_heavy_weights() {
        // Bits of non-negative floats order like the floats.
        assert!(weighted_key(u64::MAX, 1.0) <= weighted_key(0, 1.0));
        assert!(weighted_key(123, 10.0) < weighted_key(123, 1.0));
        assert_eq!(weighted_key(5, 0.0), weighted_key(5, f64::NAN));
        // With weights 3:1, the heavy one wins a two-way race ~75% of the time.
        let s = epoch_seed(9, 1);
        let n = 20_000;
        let heavy_wins = (0..n)
            .filter(|i| {
                let (a, b) = (draw(s, &format!("A{i}")), draw(s, &format!("B{i}")));
                weighted_key(a, 3.0) < weighted_key(b, 1.0)
            })
            .count();
        assert!((14_600..15_400).contains(&heavy_wins), "{heavy_wins}");
    }

    #[test]
    fn posterior_bound_holds_and_samples_decode() {
        let s = epoch_seed(11, 2);
        for i in 0..20_000u64 {
            let p = (i % 200) as f64 * 0.003;
            let d = draw(s, &format!("O:X{i}"));
            let key = posterior_key(d, p, 173.0);
            let sample = posterior_sample(key);
            assert!(
                sample >= 0.0 && sample <= posterior_upper_bound(p, 173.0),
                "{p} {sample}"
            );
        }
        // Extreme draws stay within the bound too.
        for d in [0, u64::MAX, 1 << 32, (1 << 32) - 1] {
            let key = posterior_key(d, 0.05, 173.0);
            assert!(posterior_sample(key) <= posterior_upper_bound(0.05, 173.0));
        }
    }

    #[test]
    fn posterior_keys_favour_larger_counts_and_rank_silent_last() {
        let s = epoch_seed(3, 1);
        let window = 173.0; // a 120 s half-life
        let key = |sym: &str, p: f64| posterior_key(draw(s, sym), p, window);
        // Deterministic.
        assert_eq!(key("O:A", 0.05), key("O:A", 0.05));
        // Silent candidates (priority 0, NaN, negative) sample 0: behind any active one whose
        // sample is positive, and ordered among themselves by the uniform tie-break.
        assert!(key("O:B", 0.05) < key("O:C", 0.0));
        assert!(key("O:D", f64::NAN) > key("O:E", 1.0));
        // A candidate with twice the count (10 vs 5 events) wins most, not all, two-way races:
        // the posterior spreads where the counts are small (Poisson noise ~ sqrt(n)).
        let n = 10_000;
        let wins = (0..n)
            .filter(|i| key(&format!("H{i}"), 10.0 / window) < key(&format!("L{i}"), 5.0 / window))
            .count();
        assert!((8_000..9_800).contains(&wins), "{wins}");
        // With 400 vs 200 events the noise is small next to the gap: the larger nearly always wins.
        let wins = (0..n)
            .filter(|i| {
                key(&format!("H{i}"), 400.0 / window) < key(&format!("L{i}"), 200.0 / window)
            })
            .count();
        assert!(wins > 9_990, "{wins}");
    }

    #[test]
    fn draws_look_uniform() {
        // Crude check: the top bit of draws over many symbols is set about half the time.
        let s = epoch_seed(42, 7);
        let n = 10_000;
        let ones = (0..n)
            .filter(|i| draw(s, &format!("O:SPY{i:08}")) >> 63 == 1)
            .count();
        assert!((4_700..5_300).contains(&ones), "{ones}");
    }
}
