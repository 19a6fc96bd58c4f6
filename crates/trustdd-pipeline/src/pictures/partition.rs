//! `partition.png`: a partitioner's last split class by class: the histogram of the scores of
//! the samples observed in the class, split into correctly and wrongly labelled ones when the
//! clean labels are known, the fitted components and the threshold.

use super::{drawing, render, Area, COLOURS};
use plotters::prelude::*;
use trustdd_core::{ClassSplitView, Error, ImageDataset, Result, SplitView};

const WHAT: &str = "partition picture";
const PANEL: (u32, u32) = (360, 260);
const COLUMNS: usize = 5;
const BINS: usize = 30;
const GREY: RGBColor = RGBColor(170, 170, 170);

/// A PNG of one panel per class of `view` (five to a row), from the split of `dataset` (whose
/// clean labels, when it has them, colour the samples whose observed label is wrong).
///
/// # Errors
/// An empty-input error for a view without classes; a shape error when a sample index is not
/// in `dataset`; an invalid-parameter error when a chart cannot be drawn.
pub fn partition_picture(view: &SplitView, dataset: &ImageDataset) -> Result<Vec<u8>> {
    if view.classes.is_empty() {
        return Err(Error::empty("partition picture classes"));
    }
    if let Some(&(i, _)) = view
        .classes
        .iter()
        .flat_map(|c| &c.samples)
        .find(|(i, _)| *i >= dataset.len())
    {
        return Err(Error::shape(
            "partition picture sample index",
            dataset.len(),
            i + 1,
        ));
    }
    let rows = view.classes.len().div_ceil(COLUMNS);
    let columns = view.classes.len().min(COLUMNS);
    let size = (PANEL.0 * columns as u32, PANEL.1 * rows as u32);
    render(WHAT, size, |root| {
        for (area, class) in root.split_evenly((rows, columns)).iter().zip(&view.classes) {
            panel(area, class, &view.score, dataset)?;
        }
        Ok(())
    })
}

/// Per bin, the counts of correctly and of wrongly labelled samples, on `[lo, hi]`.
fn histogram(
    class: &ClassSplitView,
    dataset: &ImageDataset,
    (lo, hi): (f64, f64),
) -> (Vec<u64>, Vec<u64>) {
    let (mut right, mut wrong) = (vec![0u64; BINS], vec![0u64; BINS]);
    let clean = dataset.clean_labels();
    let observed = dataset.labels();
    for &(i, score) in &class.samples {
        let bin = (((score - lo) / (hi - lo)) * BINS as f64).floor();
        let bin = (bin.max(0.0) as usize).min(BINS - 1);
        match clean {
            Some(c) if c[i] != observed[i] => wrong[bin] += 1,
            _ => right[bin] += 1,
        }
    }
    (right, wrong)
}

fn panel(
    area: &Area<'_>,
    class: &ClassSplitView,
    score: &str,
    dataset: &ImageDataset,
) -> Result<()> {
    let lo = class.samples.iter().map(|s| s.1).fold(0f64, f64::min);
    let hi = class.samples.iter().map(|s| s.1).fold(1f64, f64::max);
    let (right, wrong) = histogram(class, dataset, (lo, hi));
    let width = (hi - lo) / BINS as f64;
    let n = class.samples.len() as f64;
    let density = |x: f64| -> Vec<f64> {
        class
            .components
            .iter()
            .map(|&(w, m, v)| {
                w * n * width * (-(x - m).powi(2) / (2.0 * v)).exp()
                    / (std::f64::consts::TAU * v).sqrt()
            })
            .collect()
    };
    let grid: Vec<f64> = (0..=200)
        .map(|k| lo + (hi - lo) * k as f64 / 200.0)
        .collect();
    let curve_top = grid.iter().flat_map(|&x| density(x)).fold(0f64, f64::max);
    let bar_top = right
        .iter()
        .zip(&wrong)
        .map(|(a, b)| a + b)
        .max()
        .unwrap_or(0) as f64;
    let top = bar_top.max(curve_top).max(1.0) * 1.1;
    let name = dataset
        .class_names()
        .get(class.class)
        .cloned()
        .unwrap_or_else(|| class.class.to_string());
    let noisy = wrong.iter().sum::<u64>();
    let caption = if dataset.clean_labels().is_some() {
        format!(
            "{name}: {} seen, {:.0}% wrong, {}",
            class.samples.len(),
            100.0 * noisy as f64 / n.max(1.0),
            class.rule
        )
    } else {
        format!("{name}: {} seen, {}", class.samples.len(), class.rule)
    };
    let mut chart = ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 13))
        .margin(8)
        .x_label_area_size(26)
        .y_label_area_size(40)
        .build_cartesian_2d(lo..hi, 0f64..top)
        .map_err(drawing(WHAT))?;
    chart
        .configure_mesh()
        .x_desc(score)
        .label_style(("sans-serif", 10))
        .axis_desc_style(("sans-serif", 10))
        .draw()
        .map_err(drawing(WHAT))?;
    let edge = |k: usize| lo + width * k as f64;
    chart
        .draw_series((0..BINS).map(|k| {
            Rectangle::new(
                [(edge(k), 0.0), (edge(k + 1), right[k] as f64)],
                GREY.filled(),
            )
        }))
        .map_err(drawing(WHAT))?;
    chart
        .draw_series((0..BINS).map(|k| {
            let base = right[k] as f64;
            Rectangle::new(
                [(edge(k), base), (edge(k + 1), base + wrong[k] as f64)],
                COLOURS[0].mix(0.8).filled(),
            )
        }))
        .map_err(drawing(WHAT))?;
    for k in 0..class.components.len() {
        let colour = COLOURS[2 + k % (COLOURS.len() - 2)];
        chart
            .draw_series(LineSeries::new(
                grid.iter().map(|&x| (x, density(x)[k])),
                colour.stroke_width(2),
            ))
            .map_err(drawing(WHAT))?;
    }
    if let Some(t) = class.threshold {
        chart
            .draw_series(LineSeries::new([(t, 0.0), (t, top)], BLACK.stroke_width(2)))
            .map_err(drawing(WHAT))?;
    }
    Ok(())
}
