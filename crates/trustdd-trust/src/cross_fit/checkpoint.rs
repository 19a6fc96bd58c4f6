//! [`CrossFit`]'s checkpointable state: rounds, iterations, the partition, the transition
//! estimate, the last posterior, held-out losses and kept set, and the diagnostics (as JSON), so
//! a restored partitioner refits exactly as one that never stopped.

use super::{CrossFit, Fitted};
use crate::error::Result;
use crate::state_tensors::{
    count_from, count_tensor, flags_from, flags_tensor, json_from, json_tensor,
};
use crate::transition::Transition;
use candle_core::{DType, Device, Tensor};
use std::collections::HashMap;
use trustdd_core::{partition_from, partition_tensors};

const ROUNDS: &str = "rounds";
const ITERATIONS: &str = "iterations";
const TRANSITION: &str = "transition";
const POSTERIOR: &str = "posterior";
const LOSSES: &str = "losses";
const KEPT: &str = "kept";
const DIAGNOSTICS: &str = "diagnostics";
const TRUSTED: &str = "trusted";
const WORKING: &str = "working_labels";

/// f64 values as a tensor of `shape`.
fn values(v: &[f64], shape: &[usize]) -> Result<Tensor> {
    Ok(Tensor::from_vec(v.to_vec(), shape, &Device::Cpu)?)
}

fn values_from(t: &Tensor) -> Result<Vec<f64>> {
    Ok(t.to_dtype(DType::F64)?.flatten_all()?.to_vec1::<f64>()?)
}

impl CrossFit {
    /// The checkpoint state ([`trustdd_core::TrustPartitioner::state`]).
    pub(super) fn save_state(&self) -> Result<Vec<(String, Tensor)>> {
        let mut out = vec![
            (ROUNDS.to_string(), count_tensor(self.rounds)?),
            (
                DIAGNOSTICS.to_string(),
                json_tensor("cross-fit diagnostics", &self.diagnostics)?,
            ),
        ];
        if let Some(f) = &self.fitted {
            let (n, k) = (f.losses.len(), f.transition.classes());
            out.extend(partition_tensors(&f.partition)?);
            out.extend([
                (ITERATIONS.to_string(), count_tensor(f.iterations)?),
                (
                    TRANSITION.to_string(),
                    values(f.transition.rows(), &[k, k])?,
                ),
                (POSTERIOR.to_string(), values(&f.posterior, &[n, k])?),
                (LOSSES.to_string(), values(&f.losses, &[n])?),
                (KEPT.to_string(), flags_tensor(&f.kept)?),
            ]);
        }
        Ok(out)
    }

    /// Restores [`CrossFit::save_state`]'s tensors; unknown names and inconsistent shapes are
    /// errors.
    pub(super) fn restore_state(&mut self, state: &HashMap<String, Tensor>) -> Result<()> {
        let known = [
            ROUNDS,
            ITERATIONS,
            TRANSITION,
            POSTERIOR,
            LOSSES,
            KEPT,
            DIAGNOSTICS,
            TRUSTED,
            WORKING,
        ];
        if let Some(unknown) = state.keys().find(|k| !known.contains(&k.as_str())) {
            return Err(trustdd_core::Error::invalid(
                "cross-fit state tensor",
                unknown,
                "a name this partitioner saves",
            ));
        }
        let get = |name: &str| {
            state.get(name).ok_or_else(|| {
                trustdd_core::Error::invalid(
                    "cross-fit state",
                    format!("no {name:?}"),
                    "a complete cross-fit state",
                )
            })
        };
        let rounds = count_from(get(ROUNDS)?)?;
        let diagnostics = json_from("cross-fit diagnostics", get(DIAGNOSTICS)?)?;
        let fitted = match partition_from(state)? {
            None => None,
            Some(partition) => {
                let n = partition.trusted.len();
                let t = get(TRANSITION)?;
                let k = t.dims().first().copied().unwrap_or(0);
                let transition = Transition::new(k, values_from(t)?)?;
                let posterior = values_from(get(POSTERIOR)?)?;
                let losses = values_from(get(LOSSES)?)?;
                let kept = flags_from(get(KEPT)?)?;
                for (name, want, got) in [
                    (POSTERIOR, n * k, posterior.len()),
                    (LOSSES, n, losses.len()),
                    (KEPT, n, kept.len()),
                ] {
                    if want != got {
                        return Err(trustdd_core::Error::shape(
                            format!("saved cross-fit {name}"),
                            want,
                            got,
                        ));
                    }
                }
                crate::error::check_finite(&posterior, "saved cross-fit posterior")?;
                Some(Fitted {
                    transition,
                    posterior,
                    losses,
                    kept,
                    partition,
                    iterations: count_from(get(ITERATIONS)?)?,
                })
            }
        };
        self.rounds = rounds;
        self.diagnostics = diagnostics;
        self.fitted = fitted;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CrossFitConfig;
    use trustdd_core::{TrustPartition, TrustPartitioner};

    /// A fitted state by hand: two samples, two classes.
    fn fitted() -> CrossFit {
        let mut c = CrossFit::new(CrossFitConfig::default()).unwrap();
        c.rounds = 1;
        c.fitted = Some(Fitted {
            transition: Transition::new(2, vec![0.8, 0.2, 0.3, 0.7]).unwrap(),
            posterior: vec![0.9, 0.1, 0.4, 0.6],
            losses: vec![0.1, 2.0],
            kept: vec![true, false],
            partition: TrustPartition {
                trusted: vec![true, false],
                working_labels: vec![0, 0],
            },
            iterations: 3,
        });
        c
    }

    #[test]
    fn state_round_trips_and_loading_is_strict() {
        let fresh = CrossFit::new(CrossFitConfig::default()).unwrap();
        let state: HashMap<String, Tensor> = fresh.state().unwrap().into_iter().collect();
        let mut other = fitted();
        other.load_state(&state).unwrap();
        assert!(other.partition().is_none() && other.rounds == 0);

        let full = fitted();
        let state: HashMap<String, Tensor> = full.state().unwrap().into_iter().collect();
        let mut back = CrossFit::new(CrossFitConfig::default()).unwrap();
        back.load_state(&state).unwrap();
        assert_eq!(back.fitted, full.fitted);
        assert_eq!(back.rounds, 1);

        let mut extra = state.clone();
        extra.insert("frob".into(), count_tensor(1).unwrap());
        let e = back.load_state(&extra).unwrap_err().to_string();
        assert!(e.contains("frob"), "{e}");
        let mut missing = state.clone();
        missing.remove(POSTERIOR);
        let e = back.load_state(&missing).unwrap_err().to_string();
        assert!(e.contains("posterior"), "{e}");
        let mut short = state;
        short.insert(LOSSES.into(), values(&[0.1], &[1]).unwrap());
        let e = back.load_state(&short).unwrap_err().to_string();
        assert!(e.contains("losses"), "{e}");
    }
}
