//! What a noise model did: realised rates and the clean → observed transition counts.

use serde::{Deserialize, Serialize};
use std::fmt::{self, Write as _};
use trustdd_core::{check_labels, Error, Result};

/// Largest class count whose full transition matrix the table prints; beyond it the table lists
/// the most frequent off-diagonal transitions (the JSON always holds the full matrix).
pub const FULL_MATRIX_MAX_CLASSES: usize = 20;

/// Noise of one clean class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassNoise {
    /// The clean class.
    pub class: usize,
    /// Its name.
    pub name: String,
    /// Samples whose clean label is `class`.
    pub samples: usize,
    /// Of those, how many were given another label.
    pub flipped: usize,
    /// `flipped / samples` (0 for an empty class).
    pub rate: f64,
}

/// The realised effect of a noise model on a set of labels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoiseReport {
    /// The model's name with parameters (`NoiseModel::name`).
    pub model: String,
    /// The seed the labels were made with.
    pub seed: u64,
    /// The dataset's name, when known.
    pub dataset: Option<String>,
    /// Number of samples.
    pub samples: usize,
    /// Number of classes `C`.
    pub num_classes: usize,
    /// Samples whose observed label differs from the clean one.
    pub flipped: usize,
    /// `flipped / samples`: the realised overall noise rate.
    pub rate: f64,
    /// Per clean class, in class order.
    pub per_class: Vec<ClassNoise>,
    /// `transitions[clean][observed]` counts, `C × C`.
    pub transitions: Vec<Vec<u64>>,
}

impl NoiseReport {
    /// Measures `noisy` against `clean`; classes are named by index (see
    /// [`Self::with_class_names`]).
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for different lengths, [`Error::LabelOutOfRange`] for a label
    /// ≥ `num_classes`.
    pub fn measure(
        model: impl Into<String>,
        seed: u64,
        clean: &[u32],
        noisy: &[u32],
        num_classes: usize,
    ) -> Result<Self> {
        if clean.len() != noisy.len() {
            return Err(Error::shape(
                "noise report: noisy labels",
                clean.len(),
                noisy.len(),
            ));
        }
        check_labels(clean, num_classes, "noise report: clean labels")?;
        check_labels(noisy, num_classes, "noise report: noisy labels")?;
        let mut transitions = vec![vec![0u64; num_classes]; num_classes];
        for (&c, &n) in clean.iter().zip(noisy) {
            transitions[c as usize][n as usize] += 1;
        }
        let per_class: Vec<ClassNoise> = transitions
            .iter()
            .enumerate()
            .map(|(class, row)| {
                let samples = row.iter().sum::<u64>() as usize;
                let flipped = samples - row[class] as usize;
                ClassNoise {
                    class,
                    name: class.to_string(),
                    samples,
                    flipped,
                    rate: ratio(flipped, samples),
                }
            })
            .collect();
        let flipped = per_class.iter().map(|c| c.flipped).sum();
        Ok(Self {
            model: model.into(),
            seed,
            dataset: None,
            samples: clean.len(),
            num_classes,
            flipped,
            rate: ratio(flipped, clean.len()),
            per_class,
            transitions,
        })
    }

    /// Names the classes (ignored unless one name per class is given).
    pub fn with_class_names(mut self, names: &[String]) -> Self {
        if names.len() == self.num_classes {
            for (c, n) in self.per_class.iter_mut().zip(names) {
                c.name = n.clone();
            }
        }
        self
    }

    /// Records the dataset's name.
    pub fn with_dataset(mut self, name: impl Into<String>) -> Self {
        self.dataset = Some(name.into());
        self
    }

    /// The report as a Markdown-style table (summary, per-class rates, transitions).
    pub fn to_table(&self) -> String {
        self.to_string()
    }

    fn write_transitions(&self, out: &mut String) -> fmt::Result {
        let c = self.num_classes;
        if c <= FULL_MATRIX_MAX_CLASSES {
            writeln!(
                out,
                "transition counts (row: clean label, column: observed label):"
            )?;
            let header: Vec<String> = (0..c).map(|k| k.to_string()).collect();
            writeln!(out, "| clean \\ observed | {} |", header.join(" | "))?;
            writeln!(out, "|---|{}", "---:|".repeat(c))?;
            for (k, row) in self.transitions.iter().enumerate() {
                let cells: Vec<String> = row.iter().map(|v| v.to_string()).collect();
                writeln!(out, "| {k} | {} |", cells.join(" | "))?;
            }
            return Ok(());
        }
        let mut off: Vec<(u64, usize, usize)> = (0..c)
            .flat_map(|a| (0..c).map(move |b| (a, b)))
            .filter(|&(a, b)| a != b && self.transitions[a][b] > 0)
            .map(|(a, b)| (self.transitions[a][b], a, b))
            .collect();
        off.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2)));
        writeln!(
            out,
            "most frequent transitions ({} of {} non-zero off-diagonal cells; full matrix in JSON):",
            off.len().min(FULL_MATRIX_MAX_CLASSES),
            off.len()
        )?;
        writeln!(out, "| clean | observed | count |")?;
        writeln!(out, "|---|---|---:|")?;
        for &(n, a, b) in off.iter().take(FULL_MATRIX_MAX_CLASSES) {
            let name = |k: usize| format!("{k} {}", self.per_class[k].name);
            writeln!(out, "| {} | {} | {n} |", name(a), name(b))?;
        }
        Ok(())
    }
}

fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

impl fmt::Display for NoiseReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        let dataset = self.dataset.as_deref().unwrap_or("labels");
        writeln!(
            out,
            "noise model {} on {dataset} (seed {}): {} samples, {} classes",
            self.model, self.seed, self.samples, self.num_classes
        )?;
        writeln!(
            out,
            "realised noise rate: {:.2}% ({} of {} labels changed)\n",
            100.0 * self.rate,
            self.flipped,
            self.samples
        )?;
        writeln!(out, "| class | name | samples | flipped | rate |")?;
        writeln!(out, "|---:|---|---:|---:|---:|")?;
        for c in &self.per_class {
            writeln!(
                out,
                "| {} | {} | {} | {} | {:.2}% |",
                c.class,
                c.name,
                c.samples,
                c.flipped,
                100.0 * c.rate
            )?;
        }
        writeln!(out)?;
        self.write_transitions(&mut out)?;
        f.write_str(&out)
    }
}
