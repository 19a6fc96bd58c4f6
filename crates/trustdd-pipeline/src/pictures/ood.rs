//! `ood.png`: the score distributions of the in-distribution test set and of every OOD set, one
//! panel per training set (without and with S_o), drawn with plotters.

use super::{drawing, render, COLOURS};
use plotters::prelude::*;
use trustdd_core::{Error, Result};
use trustdd_ood::ScoreHistograms;

const PANEL: (u32, u32) = (900, 340);

/// A PNG of one panel per `(title, histograms)`, stacked: the in-distribution scores as a grey
/// filled histogram and each OOD set's as a coloured line, all as fractions of their set (so
/// sets of different sizes compare), on each panel's own score axis.
///
/// # Errors
/// An invalid-parameter error when a chart cannot be drawn; encoding errors.
pub fn ood_picture(panels: &[(&str, &ScoreHistograms)]) -> Result<Vec<u8>> {
    if panels.is_empty() {
        return Err(Error::empty("OOD picture panels"));
    }
    let (w, h) = (PANEL.0, PANEL.1 * panels.len() as u32);
    render("OOD picture", (w, h), |root| {
        for (area, (title, hist)) in root.split_evenly((panels.len(), 1)).iter().zip(panels) {
            panel(area, title, hist)?;
        }
        Ok(())
    })
}

fn fractions(counts: &[u64]) -> Vec<f64> {
    let total = counts.iter().sum::<u64>().max(1) as f64;
    counts.iter().map(|&c| c as f64 / total).collect()
}

fn panel(
    area: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
    title: &str,
    hist: &ScoreHistograms,
) -> Result<()> {
    let (lo, hi) = (hist.edges[0], *hist.edges.last().unwrap_or(&1.0));
    let id = fractions(&hist.in_distribution);
    let sets: Vec<(String, Vec<f64>)> = hist
        .sets
        .iter()
        .map(|(n, c)| (n.clone(), fractions(c)))
        .collect();
    let top = id
        .iter()
        .chain(sets.iter().flat_map(|(_, f)| f.iter()))
        .fold(0f64, |a, &b| a.max(b))
        * 1.1;
    let mut chart = ChartBuilder::on(area)
        .caption(
            format!("{title}: {} score", hist.score.name()),
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(32)
        .y_label_area_size(48)
        .build_cartesian_2d(lo..hi, 0f64..top.max(1e-9))
        .map_err(drawing("OOD picture"))?;
    chart
        .configure_mesh()
        .x_desc("score (higher: more in-distribution)")
        .y_desc("fraction")
        .label_style(("sans-serif", 12))
        .draw()
        .map_err(drawing("OOD picture"))?;
    let bins = hist.edges.windows(2).zip(&id);
    chart
        .draw_series(bins.map(|(e, &f)| {
            Rectangle::new([(e[0], 0.0), (e[1], f)], RGBColor(170, 170, 170).filled())
        }))
        .map_err(drawing("OOD picture"))?
        .label("in-distribution (test)")
        .legend(|(x, y)| {
            Rectangle::new(
                [(x, y - 5), (x + 14, y + 5)],
                RGBColor(170, 170, 170).filled(),
            )
        });
    for (k, (name, f)) in sets.iter().enumerate() {
        let colour = COLOURS[k % COLOURS.len()];
        let centres = hist.edges.windows(2).map(|e| 0.5 * (e[0] + e[1]));
        chart
            .draw_series(LineSeries::new(
                centres.zip(f.iter().copied()),
                colour.stroke_width(2),
            ))
            .map_err(drawing("OOD picture"))?
            .label(name.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 14, y)], colour.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .label_font(("sans-serif", 12))
        .position(SeriesLabelPosition::UpperLeft)
        .draw()
        .map_err(drawing("OOD picture"))?;
    Ok(())
}
