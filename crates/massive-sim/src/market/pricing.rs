//! Option fair values (a Bachelier approximation) and the per-contract activity weights.

use crate::occ::Right;

/// Standard normal density.
#[inline]
fn pdf(x: f64) -> f64 {
    0.398_942_280_401_432_7 * (-0.5 * x * x).exp()
}

/// Standard normal distribution function (Abramowitz–Stegun 7.1.26, error < 1.5e-7).
#[inline]
pub fn cdf(x: f64) -> f64 {
    let z = x.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * z);
    let poly = ((((1.061_405_429 * t - 1.453_152_027) * t + 1.421_413_741) * t - 0.284_496_736)
        * t
        + 0.254_829_592)
        * t;
    let erf = 1.0 - poly * (-z * z).exp();
    if x >= 0.0 {
        0.5 * (1.0 + erf)
    } else {
        0.5 * (1.0 - erf)
    }
}

/// Fair value of an option in dollars (Bachelier with absolute volatility `spot × iv × √T`).
pub fn theo(spot: f64, strike: f64, years: f64, iv: f64, right: Right) -> f64 {
    let sigma = (spot * iv * years.max(1.0 / 8760.0).sqrt()).max(1e-6);
    let d = (spot - strike) / sigma;
    let v = match right {
        Right::Call => (spot - strike) * cdf(d) + sigma * pdf(d),
        Right::Put => (strike - spot) * cdf(-d) + sigma * pdf(d),
    };
    if v.is_finite() { v.max(0.0) } else { 0.0 }
}

/// Per-expiry factors of the activity model at a given time.
#[derive(Debug, Clone, Copy)]
pub struct ExpiryFactors {
    /// 1 / width of the active strike band in log-strike units.
    pub inv_width: f64,
    /// Time-to-expiry factor for quotes.
    pub tte_q: f64,
    /// Time-to-expiry factor for trades (sharper: trades concentrate on near expiries).
    pub tte_t: f64,
}

/// Factors for an expiry `days` away (0 or less → expired, no activity).
pub fn expiry_factors(days: f64, iv: f64, tte_decay: f64) -> ExpiryFactors {
    if days <= 0.0 {
        return ExpiryFactors {
            inv_width: 1.0,
            tte_q: 0.0,
            tte_t: 0.0,
        };
    }
    let width = 0.01 + iv * (days / 365.0).sqrt();
    let tte_q = 1.0 / (days + 0.5).powf(tte_decay);
    ExpiryFactors {
        inv_width: 1.0 / width,
        tte_q,
        tte_t: tte_q * tte_q.sqrt(),
    }
}

/// (quote weight, trade weight) of one contract. Trades are sharper around the money.
#[inline]
pub fn weights(
    ln_strike: f64,
    ln_spot: f64,
    liquidity: f64,
    f: &ExpiryFactors,
    floor: f64,
) -> (f64, f64) {
    let m = (ln_strike - ln_spot) * f.inv_width;
    // Beyond 6 widths the Gaussian is below 2e-8: skip the exp (most of a chain is out there).
    let g = if m.abs() > 6.0 {
        0.0
    } else {
        (-0.5 * m * m).exp()
    };
    let money = g + floor;
    let q = liquidity * money * f.tte_q;
    let t = liquidity * (g * g + floor * 0.5) * f.tte_t;
    (q, t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn theo_is_sane() {
        let c = theo(100.0, 100.0, 30.0 / 365.0, 0.3, Right::Call);
        assert!(c > 2.0 && c < 6.0, "{c}");
        let deep = theo(100.0, 50.0, 30.0 / 365.0, 0.3, Right::Call);
        assert!((deep - 50.0).abs() < 0.5);
        assert!(theo(100.0, 150.0, 1.0 / 365.0, 0.3, Right::Call) < 0.01);
        assert!((cdf(0.0) - 0.5).abs() < 1e-7 && cdf(5.0) > 0.999 && cdf(-5.0) < 0.001);
    }

    #[test]
    fn activity_peaks_at_the_money_and_near_expiry() {
        let near = expiry_factors(1.0, 0.3, 1.0);
        let far = expiry_factors(60.0, 0.3, 1.0);
        let ln_s = 100f64.ln();
        let atm = weights(100f64.ln(), ln_s, 1.0, &near, 0.002);
        let otm = weights(130f64.ln(), ln_s, 1.0, &near, 0.002);
        let atm_far = weights(100f64.ln(), ln_s, 1.0, &far, 0.002);
        assert!(atm.0 > 10.0 * otm.0 && atm.1 > 10.0 * otm.1);
        assert!(atm.0 > atm_far.0 && atm.1 > atm_far.1);
        assert_eq!(expiry_factors(0.0, 0.3, 1.0).tte_q, 0.0);
    }
}
