// Copyright (c) James Kassemi, SC, US. All rights reserved.
#include "svg_plot.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <iterator>
#include <limits>
#include <string_view>
#include <vector>

namespace ws_ingest::eval {

namespace {

constexpr double kPanelWidth = 720;
constexpr double kPanelHeight = 420;
constexpr double kTitleHeight = 40;
// Inside a panel: room for the caption, the tick labels and the axis titles.
constexpr double kLeft = 78;
constexpr double kRight = 20;
constexpr double kTop = 34;
constexpr double kBottom = 52;

/// Line colours in policy order (oracle, ours, greedy, greedy+pool, static, random).
constexpr std::array<std::string_view, 6> kColors{"#000000", "#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e"};

std::string escape(std::string_view s) {
  std::string out;
  for (const char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

/// A "nice" tick step (1, 2 or 5 × 10^k) giving about `n` ticks over `span`.
double nice_step(double span, double n) {
  const double raw = span / n;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  for (const double m : {1.0, 2.0, 5.0}) {
    if (raw <= m * mag) return m * mag;
  }
  return 10.0 * mag;
}

/// Decimals needed to print multiples of `step` distinctly.
int decimals(double step) { return std::max(0, static_cast<int>(std::ceil(-std::log10(step) - 1e-9))); }

struct Range {
  double lo;
  double hi;
};

// The y range over the informative lines (random far below goes on the bottom edge), with room
// at the bottom for the legend.
Range y_range(const ScenarioResult& s) {
  double lo = 1;
  double hi = 0;
  for (const PolicyResult& p : s.policies) {
    if (p.name == "random") continue;
    for (const SeriesPoint& pt : p.series) {
      lo = std::min(lo, pt.coverage);
      hi = std::max(hi, pt.coverage);
    }
  }
  if (hi < lo) return {0, 1};
  const double span = std::max(hi - lo, 0.02);
  double top = std::min(1.0, std::ceil((hi + 0.1 * span) * 100.0) / 100.0);
  const double bottom = std::max(0.0, std::floor((lo - 0.6 * span) * 100.0) / 100.0);
  top = std::max(top, bottom + 0.01);
  return {bottom, top};
}

Range x_range(const ScenarioResult& s) {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -lo;
  for (const PolicyResult& p : s.policies) {
    for (const SeriesPoint& pt : p.series) {
      lo = std::min(lo, pt.minutes);
      hi = std::max(hi, pt.minutes);
    }
  }
  if (!(lo < hi)) return {std::isfinite(lo) ? lo - 1 : 0, std::isfinite(hi) ? hi : 1};
  return {lo, hi};
}

void panel(std::string& out, const ScenarioResult& s, double ox, double oy) {
  auto it = std::back_inserter(out);
  const double x0 = ox + kLeft;
  const double x1 = ox + kPanelWidth - kRight;
  const double y0 = oy + kTop;
  const double y1 = oy + kPanelHeight - kBottom;
  const Range xr = x_range(s);
  const Range yr = y_range(s);
  const auto px = [&](double x) { return x0 + (x - xr.lo) / (xr.hi - xr.lo) * (x1 - x0); };
  const auto py = [&](double y) { return y1 - (std::clamp(y, yr.lo, yr.hi) - yr.lo) / (yr.hi - yr.lo) * (y1 - y0); };

  fmt::format_to(it, "<g class=\"panel\" id=\"{}\">\n", escape(to_string(s.scenario)));
  fmt::format_to(it, "<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"18\" text-anchor=\"middle\">{}</text>\n",
                 (x0 + x1) / 2, oy + 22, escape(to_string(s.scenario)));
  // Grid and ticks.
  const double ys = nice_step(yr.hi - yr.lo, 5);
  for (double y = std::ceil(yr.lo / ys - 1e-9) * ys; y <= yr.hi + 1e-9; y += ys) {
    fmt::format_to(it,
                   "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#dddddd\"/>\n"
                   "<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"13\" text-anchor=\"end\">{:.{}f}%</text>\n",
                   x0, py(y), x1, py(y), x0 - 6, py(y) + 4, 100.0 * y, decimals(100.0 * ys));
  }
  const double xs = nice_step(xr.hi - xr.lo, 6);
  for (double x = std::ceil(xr.lo / xs - 1e-9) * xs; x <= xr.hi + 1e-9; x += xs) {
    fmt::format_to(it,
                   "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#dddddd\"/>\n"
                   "<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"13\" text-anchor=\"middle\">{:.{}f}</text>\n",
                   px(x), y0, px(x), y1, px(x), y1 + 18, x, decimals(xs));
  }
  // Axes and their titles.
  fmt::format_to(
      it, "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"none\" stroke=\"#000000\"/>\n", x0,
      y0, x1 - x0, y1 - y0);
  fmt::format_to(it,
                 "<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"14\" text-anchor=\"middle\">simulated minutes</text>\n",
                 (x0 + x1) / 2, y1 + 40);
  fmt::format_to(it,
                 "<text x=\"{0:.1f}\" y=\"{1:.1f}\" font-size=\"14\" text-anchor=\"middle\" "
                 "transform=\"rotate(-90 {0:.1f} {1:.1f})\">trade coverage by count</text>\n",
                 ox + 18, (y0 + y1) / 2);
  // One polyline per policy.
  for (std::size_t i = 0; i < s.policies.size(); ++i) {
    const PolicyResult& p = s.policies[i];
    fmt::format_to(
        it, "<polyline class=\"series\" data-policy=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"{}\" points=\"",
        escape(p.name), kColors[i % kColors.size()], p.name == "ours" ? 3 : 2);
    for (std::size_t j = 0; j < p.series.size(); ++j) {
      fmt::format_to(it, "{}{:.1f},{:.1f}", j == 0 ? "" : " ", px(p.series[j].minutes), py(p.series[j].coverage));
    }
    out += "\"/>\n";
  }
  // Legend, lower left.
  const double row = 18;
  const double lw = 260;
  const double lh = row * static_cast<double>(s.policies.size()) + 10;
  const double lx = x0 + 10;
  const double ly = y1 - 10 - lh;
  fmt::format_to(
      it,
      "<g class=\"legend\"><rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"#ffffff\" "
      "fill-opacity=\"0.85\" stroke=\"#000000\"/>\n",
      lx, ly, lw, lh);
  for (std::size_t i = 0; i < s.policies.size(); ++i) {
    const PolicyResult& p = s.policies[i];
    const double y = ly + 14 + row * static_cast<double>(i);
    bool below = false;
    for (const SeriesPoint& pt : p.series) below = below || pt.coverage < yr.lo;
    const std::string label = below ? fmt::format("{} ({} mean, on the bottom edge)", p.name,
                                                  fmt::format("{:.1f}%", 100.0 * p.coverage_count()))
                                    : p.name;
    fmt::format_to(it,
                   "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"{}\" stroke-width=\"3\"/>"
                   "<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"13\">{}</text>\n",
                   lx + 8, y - 4, lx + 30, y - 4, kColors[i % kColors.size()], lx + 36, y, escape(label));
  }
  out += "</g>\n</g>\n";
}

}  // namespace

std::string render_svg(std::span<const ScenarioResult> results, double bucket_min) {
  const std::size_t cols = results.size() > 1 ? 2 : 1;
  const std::size_t rows = std::max<std::size_t>(1, (results.size() + cols - 1) / cols);
  const double width = kPanelWidth * static_cast<double>(cols);
  const double height = kPanelHeight * static_cast<double>(rows) + kTitleHeight;
  std::string out;
  auto it = std::back_inserter(out);
  fmt::format_to(it,
                 "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{0:.0f}\" height=\"{1:.0f}\" "
                 "viewBox=\"0 0 {0:.0f} {1:.0f}\" font-family=\"DejaVu Sans, Liberation Sans, Arial, sans-serif\">\n",
                 width, height);
  fmt::format_to(it, "<rect x=\"0\" y=\"0\" width=\"{:.0f}\" height=\"{:.0f}\" fill=\"#ffffff\"/>\n", width, height);
  fmt::format_to(it,
                 "<text x=\"{:.1f}\" y=\"27\" font-size=\"22\" text-anchor=\"middle\">Trade coverage by count over "
                 "simulated time (per {} min)</text>\n",
                 width / 2, bucket_min);
  for (std::size_t k = 0; k < results.size(); ++k) {
    const std::size_t row = k / cols;  // panels fill the rows left to right
    const std::size_t col = k % cols;
    panel(out, results[k], kPanelWidth * static_cast<double>(col),
          kTitleHeight + kPanelHeight * static_cast<double>(row));
  }
  out += "</svg>\n";
  return out;
}

ws_source::Result<void, std::string> write_svg(const std::filesystem::path& path,
                                               std::span<const ScenarioResult> results, double bucket_min) {
  const std::string svg = render_svg(results, bucket_min);
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) return ws_source::fail("cannot write the chart to " + path.string());
  f.write(svg.data(), static_cast<std::streamsize>(svg.size()));
  f.close();
  if (!f) return ws_source::fail("cannot write the chart to " + path.string());
  return {};
}

}  // namespace ws_ingest::eval
