// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

/// @file
/// Option fair values (a Bachelier approximation) and the per-contract activity weights of the
/// market's intensity model. Pure functions. Internal to massive_sim.

#include <cmath>

#include "massive_sim/market.hpp"

namespace massive_sim::detail {

/// Standard normal distribution function (Abramowitz-Stegun 7.1.26, error < 1.5e-7).
[[nodiscard]] double normal_cdf(double x) noexcept;

/// Fair value of an option in dollars: Bachelier with absolute volatility spot × iv × √T (T at
/// least one hour, in years). Never negative; 0 when the inputs make it non-finite.
[[nodiscard]] double theo(double spot, double strike, double years, double iv, Right right) noexcept;

/// Per-expiry factors of the activity model at one instant.
struct ExpiryFactors {
  double inv_width{1};  ///< 1 / width of the active strike band, in log-strike units
  double tte_q{0};      ///< time-to-expiry factor of quotes
  double tte_t{0};      ///< of trades (sharper: trades concentrate on near expiries)
};

/// Factors of an expiry `days` away (0 or less: expired, no activity): width 0.01 + iv·√(days/365),
/// tte_q = (days + 0.5)^−tte_decay, tte_t = tte_q^1.5.
[[nodiscard]] ExpiryFactors expiry_factors(double days, double iv, double tte_decay) noexcept;

/// Quote and trade weights of one contract.
struct Weights {
  double quote{0};
  double trade{0};
};

/// With m = (ln K − ln S)·inv_width and g = e^(−m²/2) (0 beyond 6 widths): quote weight
/// liquidity·(g + floor)·tte_q, trade weight liquidity·(g² + floor/2)·tte_t (sharper around the
/// money). Inline: the chain rebuild calls it for every contract.
[[nodiscard]] inline Weights weights(double ln_strike, double ln_spot, double liquidity, const ExpiryFactors& f,
                                     double floor) noexcept {
  const double m = (ln_strike - ln_spot) * f.inv_width;
  // Beyond 6 widths the Gaussian is below 2e-8: skip the exp (most of a chain is out there).
  const double g = std::abs(m) > 6.0 ? 0.0 : std::exp(-0.5 * m * m);
  return Weights{liquidity * (g + floor) * f.tte_q, liquidity * (g * g + floor * 0.5) * f.tte_t};
}

}  // namespace massive_sim::detail
