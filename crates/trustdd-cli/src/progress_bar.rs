//! Renders library progress events as terminal progress bars.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::sync::Mutex;
use trustdd_core::{Progress, ProgressEvent};

/// One bar per stage; a new stage name replaces the bar.
pub struct Bars {
    current: Mutex<Option<(String, ProgressBar)>>,
    hidden: bool,
}

impl Bars {
    /// Bars on stderr, or none at all when `quiet` (or stderr is not a terminal, where indicatif
    /// draws nothing by itself).
    pub fn new(quiet: bool) -> Self {
        Self {
            current: Mutex::new(None),
            hidden: quiet,
        }
    }

    fn bar(&self, stage: &str, total: u64) -> ProgressBar {
        let bar = if self.hidden {
            ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden())
        } else {
            ProgressBar::new(total)
        };
        let style = ProgressStyle::with_template(
            "{prefix:>10} [{bar:30}] {pos}/{len} {elapsed_precise} eta {eta} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(stage.to_string());
        bar
    }

    /// Finishes the current bar, leaving it on screen.
    pub fn finish(&self) {
        if let Ok(mut cur) = self.current.lock() {
            if let Some((_, bar)) = cur.take() {
                bar.finish();
            }
        }
    }
}

impl Progress for Bars {
    fn report(&self, e: ProgressEvent<'_>) {
        let Ok(mut cur) = self.current.lock() else {
            return;
        };
        let same = matches!(&*cur, Some((s, _)) if s == e.stage);
        if !same {
            if let Some((_, old)) = cur.take() {
                old.finish();
            }
            *cur = Some((e.stage.to_string(), self.bar(e.stage, e.total)));
        }
        if let Some((_, bar)) = cur.as_ref() {
            bar.set_length(e.total);
            bar.set_position(e.done);
            let msg: Vec<String> = e
                .metrics
                .iter()
                .map(|(k, v)| format!("{k} {v:.4}"))
                .collect();
            bar.set_message(msg.join("  "));
        }
    }
}
