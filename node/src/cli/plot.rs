//! SVG charts for `sift experiments` and `sift compare`: lines over points, and histograms.

use std::path::Path;

use anyhow::{Result, anyhow};
use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;

/// One line of a chart.
pub(super) struct Line {
    pub(super) label: String,
    pub(super) points: Vec<(f64, f64)>,
    /// Drawn dashed: an analytical or published curve beside measured ones.
    pub(super) reference: bool,
}

/// What a chart shows and how its axes run.
pub(super) struct Axes<'a> {
    pub(super) title: &'a str,
    pub(super) x: &'a str,
    pub(super) y: &'a str,
    pub(super) log_x: bool,
    pub(super) log_y: bool,
    /// Where the legend goes: where the lines leave room.
    pub(super) legend: SeriesLabelPosition,
}

const SIZE: (u32, u32) = (760, 460);
/// One color per strategy, so that a comparison of them all draws no two alike.
const PALETTE: [RGBColor; 11] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(90, 90, 90),
    RGBColor(23, 190, 207),
    RGBColor(227, 119, 194),
    RGBColor(140, 86, 75),
    RGBColor(188, 189, 34),
    RGBColor(0, 0, 0),
];
const _: () = assert!(PALETTE.len() >= sift_core::StrategyKind::ALL.len());

fn failed(error: impl std::fmt::Display) -> anyhow::Error {
    anyhow!("drawing a chart: {error}")
}

/// The range `values` span, padded; on a log axis, positive.
fn span(values: impl Iterator<Item = f64>, log: bool) -> (f64, f64) {
    let (low, high) = values
        .filter(|v| v.is_finite() && (!log || *v > 0.0))
        .fold((f64::MAX, f64::MIN), |(l, h), v| (l.min(v), h.max(v)));
    if low > high {
        return (if log { 0.1 } else { 0.0 }, 1.0);
    }
    if log {
        (low / 1.5, high * 1.5)
    } else {
        // Counts, fractions and rates start at zero, so that bars and lines keep their
        // proportions.
        let pad = ((high - low) * 0.08).max(1e-9);
        (if low >= 0.0 { 0.0 } else { low - pad }, high + pad)
    }
}

/// Draws `lines` on `axes` into the SVG file `path`.
pub(super) fn lines(path: &Path, axes: &Axes<'_>, lines: &[Line]) -> Result<()> {
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(failed)?;
    let (x0, x1) = span(
        lines.iter().flat_map(|l| l.points.iter().map(|p| p.0)),
        axes.log_x,
    );
    let (y0, y1) = span(
        lines.iter().flat_map(|l| l.points.iter().map(|p| p.1)),
        axes.log_y,
    );
    // The four combinations of linear and log axes are four chart types.
    match (axes.log_x, axes.log_y) {
        (false, false) => draw_lines(&root, axes, lines, x0..x1, y0..y1),
        (true, false) => draw_lines(&root, axes, lines, (x0..x1).log_scale(), y0..y1),
        (false, true) => draw_lines(&root, axes, lines, x0..x1, (y0..y1).log_scale()),
        (true, true) => draw_lines(
            &root,
            axes,
            lines,
            (x0..x1).log_scale(),
            (y0..y1).log_scale(),
        ),
    }?;
    root.present().map_err(failed)
}

fn draw_lines<X, Y>(
    root: &DrawingArea<SVGBackend<'_>, Shift>,
    axes: &Axes<'_>,
    lines: &[Line],
    x: X,
    y: Y,
) -> Result<()>
where
    X: AsRangedCoord<Value = f64>,
    Y: AsRangedCoord<Value = f64>,
    X::CoordDescType: ValueFormatter<f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let mut chart = framed(root, axes, x, y)?;
    for (i, line) in lines.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let style = ShapeStyle::from(&color).stroke_width(2);
        let series = if line.reference {
            chart.draw_series(DashedLineSeries::new(
                line.points.iter().copied(),
                6,
                4,
                style,
            ))
        } else {
            chart.draw_series(LineSeries::new(line.points.iter().copied(), style))
        }
        .map_err(failed)?;
        series.label(&line.label).legend(move |(x, y)| {
            PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
        });
        if !line.reference {
            chart
                .draw_series(
                    line.points
                        .iter()
                        .map(|&p| Circle::new(p, 3, color.filled())),
                )
                .map_err(failed)?;
        }
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .position(axes.legend.clone())
        .draw()
        .map_err(failed)?;
    Ok(())
}

type Chart<'a, 'b, X, Y> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<X, Y>>;

/// A chart on `root` with its title, axes and their descriptions.
fn framed<'a, 'b, X, Y>(
    root: &'a DrawingArea<SVGBackend<'b>, Shift>,
    axes: &Axes<'_>,
    x: X,
    y: Y,
) -> Result<Chart<'a, 'b, X::CoordDescType, Y::CoordDescType>>
where
    X: AsRangedCoord<Value = f64>,
    Y: AsRangedCoord<Value = f64>,
    X::CoordDescType: ValueFormatter<f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let mut chart = ChartBuilder::on(root)
        .caption(axes.title, ("sans-serif", 20))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d(x, y)
        .map_err(failed)?;
    chart
        .configure_mesh()
        .x_desc(axes.x)
        .y_desc(axes.y)
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(failed)?;
    Ok(chart)
}

/// One histogram of a chart: a count per bin.
pub(super) struct Bars {
    pub(super) label: String,
    pub(super) counts: Vec<f64>,
}

/// Draws histograms side by side in each bin; bin `i` spans `[edges[i], edges[i + 1])`.
pub(super) fn histogram(path: &Path, axes: &Axes<'_>, edges: &[f64], bars: &[Bars]) -> Result<()> {
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(failed)?;
    let top = bars
        .iter()
        .flat_map(|b| b.counts.iter().copied())
        .fold(0.0_f64, f64::max)
        .max(1e-9);
    let (x0, x1) = (edges[0], *edges.last().expect("edges"));
    let mut chart = framed(&root, axes, x0..x1, 0.0..top * 1.08)?;
    let groups = bars.len().max(1) as f64;
    for (i, bar) in bars.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let rectangles = bar.counts.iter().enumerate().map(move |(bin, &count)| {
            let width = (edges[bin + 1] - edges[bin]) / groups;
            let left = edges[bin] + width * i as f64;
            Rectangle::new([(left, 0.0), (left + width * 0.9, count)], color.filled())
        });
        chart
            .draw_series(rectangles)
            .map_err(failed)?
            .label(&bar.label)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled()));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .position(axes.legend.clone())
        .draw()
        .map_err(failed)?;
    root.present().map_err(failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_written_as_svg_with_their_labels() {
        let dir = std::env::temp_dir().join(format!("sift-plot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let axes = Axes {
            title: "a title",
            x: "the x",
            y: "the y",
            log_x: true,
            log_y: true,
            legend: SeriesLabelPosition::UpperRight,
        };
        let path = dir.join("lines.svg");
        let line = Line {
            label: "measured".into(),
            points: vec![(10.0, 0.5), (100.0, 0.05)],
            reference: false,
        };
        lines(&path, &axes, &[line]).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("a title") && svg.contains("measured"));
        let path = dir.join("bars.svg");
        let bars = Bars {
            label: "counted".into(),
            counts: vec![1.0, 3.0],
        };
        histogram(&path, &axes, &[0.0, 1.0, 2.0], &[bars]).unwrap();
        assert!(std::fs::read_to_string(&path).unwrap().contains("counted"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn spans_pad_linear_axes_and_keep_log_axes_positive() {
        assert_eq!(span([0.0, 0.0].into_iter(), false).0, 0.0);
        let (low, high) = span([0.0, 10.0, 100.0].into_iter(), true);
        assert!(low > 0.0 && low < 10.0 && high > 100.0);
        assert_eq!(span(std::iter::empty(), true), (0.1, 1.0));
    }
}
