//! The chart: trade coverage (by count) over simulated time, one line per policy, one panel per
//! scenario. PNG or SVG by the file's extension.
//!
//! Text is rendered with `ab_glyph` from a TrueType file read at run time (no system font
//! libraries needed): `WS_SOURCE_PLOT_FONT` if set, else DejaVu Sans or Liberation Sans from the
//! usual Debian/Fedora/macOS paths.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{anyhow, bail};
use plotters::coord::Shift;
use plotters::prelude::*;

use super::ScenarioResult;

const FONT: &str = "sans-serif";
const FONT_PATHS: [&str; 6] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/liberation-sans/LiberationSans-Regular.ttf",
    "/Library/Fonts/Arial.ttf",
];

/// Line colours, in policy order (oracle, ours, greedy, greedy+pool, static, random).
const COLORS: [RGBColor; 6] = [
    RGBColor(0, 0, 0),
    RGBColor(214, 39, 40),
    RGBColor(31, 119, 180),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
];

/// Registers the font once per process; the error says where it looked.
fn ensure_font() -> anyhow::Result<()> {
    static REGISTERED: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let outcome = REGISTERED.get_or_init(|| {
        let candidates: Vec<PathBuf> = std::env::var_os("WS_SOURCE_PLOT_FONT")
            .map(PathBuf::from)
            .into_iter()
            .chain(FONT_PATHS.iter().map(PathBuf::from))
            .collect();
        for path in &candidates {
            let Ok(bytes) = std::fs::read(path) else {
                continue;
            };
            // plotters keeps fonts for the life of the process.
            let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
            if plotters::style::register_font(FONT, FontStyle::Normal, bytes).is_ok() {
                return Ok(path.clone());
            }
        }
        Err(format!(
            "no usable TrueType font found (looked at {}); set WS_SOURCE_PLOT_FONT to a .ttf file",
            candidates
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    });
    match outcome {
        Ok(_) => Ok(()),
        Err(e) => Err(anyhow!("{e}")),
    }
}

/// Writes the chart of `results` to `path` (`.png` or `.svg`).
pub fn write(path: &Path, results: &[ScenarioResult]) -> anyhow::Result<()> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    ensure_font()?;
    let cols = if results.len() > 1 { 2 } else { 1 };
    let rows = results.len().div_ceil(cols).max(1);
    let size = (720 * cols as u32, 420 * rows as u32 + 40);
    match ext.as_str() {
        "png" => {
            let root = BitMapBackend::new(path, size).into_drawing_area();
            draw(&root, results, rows, cols)?;
            root.present().map_err(|e| anyhow!("{e}"))
        }
        "svg" => {
            let root = SVGBackend::new(path, size).into_drawing_area();
            draw(&root, results, rows, cols)?;
            root.present().map_err(|e| anyhow!("{e}"))
        }
        other => bail!("unknown chart format {other:?}: use a .png or .svg file name"),
    }
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    results: &[ScenarioResult],
    rows: usize,
    cols: usize,
) -> anyhow::Result<()> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| anyhow!("{e}");
    root.fill(&WHITE).map_err(err)?;
    let root = root
        .titled(
            "Trade coverage by count over simulated time (per minute)",
            (FONT, 24),
        )
        .map_err(err)?;
    let panels = root.split_evenly((rows, cols));
    for (area, s) in panels.iter().zip(results) {
        let x_max = s
            .policies
            .iter()
            .flat_map(|p| p.series.iter().map(|(x, _)| *x))
            .fold(1.0_f64, f64::max);
        let x_min = s
            .policies
            .iter()
            .flat_map(|p| p.series.first().map(|(x, _)| *x))
            .fold(x_max, f64::min);
        // Tight y range over the informative lines (uniform random sits far below: it is drawn
        // on the bottom edge), with room at the bottom for the legend.
        let ys = || {
            s.policies
                .iter()
                .filter(|p| p.name != "random")
                .flat_map(|p| p.series.iter().map(|(_, y)| *y))
        };
        let y_min = ys().fold(1.0_f64, f64::min);
        let y_max = ys().fold(0.0_f64, f64::max).max(y_min);
        let span = (y_max - y_min).max(0.02);
        let y_hi = ((y_max + 0.1 * span) * 100.0).ceil() / 100.0;
        let y_lo = (((y_min - 0.6 * span) * 100.0).floor() / 100.0).max(0.0);
        let y_hi = y_hi.min(1.0).max(y_lo + 0.01);
        let mut chart = ChartBuilder::on(area)
            .caption(s.name, (FONT, 20))
            .margin(10)
            .x_label_area_size(36)
            .y_label_area_size(66)
            .build_cartesian_2d(x_min.min(x_max - 1.0)..x_max, y_lo..y_hi)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("simulated minutes")
            .y_desc("coverage")
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| format!("{:.1}%", y * 100.0))
            .label_style((FONT, 14))
            .draw()
            .map_err(err)?;
        for (i, p) in s.policies.iter().enumerate() {
            let color = COLORS[i % COLORS.len()];
            let width = if p.name == "ours" { 3 } else { 2 };
            chart
                .draw_series(LineSeries::new(
                    p.series.iter().map(|&(x, y)| (x, y.clamp(y_lo, y_hi))),
                    color.stroke_width(width),
                ))
                .map_err(err)?
                .label(if p.name == "random" {
                    "random (bottom edge)"
                } else {
                    p.name
                })
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(3))
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font((FONT, 14))
            .draw()
            .map_err(err)?;
    }
    Ok(())
}

/// Whether a font is available (the tests skip the chart without one).
#[cfg(test)]
pub fn font_available() -> bool {
    ensure_font().is_ok()
}
