//! [`Pipeline::partition`]: only the run's trust partitioning, on the code path of
//! [`Pipeline::run`], so the `partition` command and a distillation report the same rounds.

use crate::pictures::partition_picture;
use crate::pipeline::{Pipeline, Prepared};
use crate::report::PartitionReport;
use crate::trust_aware::{fit_rounds, number_rounds};
use crate::RoundSeeds;
use trustdd_core::{Error, ImageDataset, Progress, Result};

impl Pipeline {
    /// Loads the configured data and runs [`Pipeline::partition_on`].
    ///
    /// # Errors
    /// As [`Pipeline::partition_on`], and the data's loading errors.
    pub fn partition(&self, rounds: usize, progress: &dyn Progress) -> Result<PartitionReport> {
        let (train, _test) = self.config().data.load()?;
        self.partition_on(train, rounds, progress)
    }

    /// Runs `rounds` rounds of the run's partitioner and nothing else, as a run fits them: the
    /// same effective configuration, ZCA, validation split, noise and random streams
    /// ([`RoundSeeds`]); first the warm-up rounds (`trust.warmup_rounds`), then refits 1, 2, …
    /// (a DM, DC or DSA run's at iterations `trust.refresh`, `2·trust.refresh`, …; an MTT run's
    /// every `trust.refresh_epochs` expert epochs). So its rounds are the first `rounds` of the
    /// run's [`crate::VariantReport::rounds`], whatever the objective.
    ///
    /// # Errors
    /// An invalid-parameter error for `rounds = 0` or a run without a partitioner; the
    /// partitioner's and the noise model's errors.
    pub fn partition_on(
        &self,
        train: ImageDataset,
        rounds: usize,
        progress: &dyn Progress,
    ) -> Result<PartitionReport> {
        if rounds == 0 {
            return Err(Error::invalid("rounds", 0, "at least 1"));
        }
        let Prepared {
            config,
            device,
            noisy,
            noise,
            validation,
            ..
        } = self.prepare(train)?;
        let mut partitioner = self.partitioner(&config)?.ok_or_else(|| {
            Error::invalid("partitioner", "none", "a partitioner to run (kind = tad)")
        })?;
        let mut report = fit_rounds(
            partitioner.as_mut(),
            &noisy,
            &device,
            &RoundSeeds::of(&config),
            rounds,
            progress,
        )?;
        number_rounds(&mut report);
        let picture = match partitioner.split_view(&noisy)? {
            Some(view) => Some(partition_picture(&view, &noisy)?),
            None => None,
        };
        Ok(PartitionReport {
            partitioner: partitioner.name(),
            picture,
            validation_size: validation.as_ref().map_or(0, ImageDataset::len),
            config,
            overrides: self.overrides(),
            noise,
            rounds: report,
        })
    }
}
