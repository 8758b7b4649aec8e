// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

// The chart: trade coverage by count over simulated time, one line per policy, one panel per
// scenario (two columns), each with axes, tick labels, axis titles and a legend. Plain SVG 1.1
// text written by the tool itself: no library, no font file needed (the viewer picks a
// sans-serif font).

#include <filesystem>
#include <span>
#include <string>
#include <ws_source/result.hpp>

#include "scenario_run.hpp"

namespace ws_ingest::eval {

/// The chart of `results` as an SVG document (starts with "<svg", one `<polyline>` per policy per
/// panel, the legend's swatches are `<line>`s). `bucket_min` is the minutes per point, for the
/// title. The y range is fitted to every line but `random`, which is drawn on the bottom edge
/// where it falls below it (the legend says so). Deterministic.
[[nodiscard]] std::string render_svg(std::span<const ScenarioResult> results, double bucket_min);

/// Writes `render_svg(results, bucket_min)` to `path`; the error names the file.
[[nodiscard]] ws_source::Result<void, std::string> write_svg(const std::filesystem::path& path,
                                                             std::span<const ScenarioResult> results,
                                                             double bucket_min);

}  // namespace ws_ingest::eval
