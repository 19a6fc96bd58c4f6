//! [`Tad`]'s checkpointable state: rounds, partition, recalled flags, loss and margin histories, proxy
//! weights and buffers, diagnostics (as JSON bytes); with co-divide, the second proxy's weights,
//! buffers, loss and margin histories and both proxies' last splits.

use super::{Peer, Proxy, Tad};
use crate::error::Result;
use crate::losses::LossHistory;
use crate::state_tensors::{
    count_from, count_tensor, flags_from, flags_tensor, json_from, json_tensor,
};
use candle_core::{Device, Tensor};
use std::collections::HashMap;
use trustdd_core::{partition_from, partition_tensors};
use trustdd_nn::Network;

pub(super) fn load_network(
    net: &mut Network,
    params: &[Tensor],
    buffers: &[Tensor],
    device: &Device,
) -> Result<()> {
    if params.len() != net.vars().len() {
        return Err(trustdd_core::Error::shape(
            "saved proxy parameters",
            net.vars().len(),
            params.len(),
        ));
    }
    for (v, p) in net.vars().iter().zip(params) {
        v.set(&p.to_device(device)?.to_dtype(v.dtype())?)?;
    }
    let buffers = buffers
        .iter()
        .map(|b| b.to_device(device))
        .collect::<candle_core::Result<Vec<_>>>()?;
    net.set_buffers(buffers)?;
    Ok(())
}

const ROUNDS: &str = "rounds";
const RECALLED: &str = "recalled";
const HISTORY: &str = "loss_history";
const MARGINS: &str = "margin_history";
const DIAGNOSTICS: &str = "diagnostics";
const PARAM: &str = "proxy.param";
const BUFFER: &str = "proxy.buffer";
// Co-divide's second proxy.
const PEER_PARAM: &str = "peer.param";
const PEER_BUFFER: &str = "peer.buffer";
const PEER_HISTORY: &str = "peer.loss_history";
const PEER_MARGINS: &str = "peer.margin_history";
const MAIN_SPLIT: &str = "peer.main_split";
const PEER_SPLIT: &str = "peer.peer_split";

/// `{prefix}{k}` for each tensor, in order.
fn numbered_names(
    prefix: &str,
    tensors: Vec<Tensor>,
) -> impl Iterator<Item = (String, Tensor)> + '_ {
    tensors
        .into_iter()
        .enumerate()
        .map(move |(k, t)| (format!("{prefix}{k}"), t))
}

/// Is `name` `{prefix}{k}` with k below `count`?
fn is_numbered(name: &str, prefix: &str, count: usize) -> bool {
    name.strip_prefix(prefix)
        .and_then(|s| s.parse::<usize>().ok())
        .is_some_and(|i| i < count)
}

/// A proxy's tensors: none, the saved ones, or the trained network's.
fn proxy_tensors(proxy: &Proxy) -> (Vec<Tensor>, Vec<Tensor>) {
    match proxy {
        Proxy::None => (Vec::new(), Vec::new()),
        Proxy::Pending { params, buffers } => (params.clone(), buffers.clone()),
        Proxy::Ready(net) => (net.detached_params(), net.buffers().to_vec()),
    }
}

/// Tensors named `{prefix}{k}` for k = 0, 1, ... (stops at the first gap).
fn numbered(state: &HashMap<String, Tensor>, prefix: &str) -> Vec<Tensor> {
    (0..)
        .map_while(|k| state.get(&format!("{prefix}{k}")).cloned())
        .collect()
}

/// A proxy from saved tensors (none saved: not trained yet).
fn pending(params: Vec<Tensor>, buffers: Vec<Tensor>) -> Proxy {
    if params.is_empty() {
        Proxy::None
    } else {
        Proxy::Pending { params, buffers }
    }
}

impl Tad {
    /// The checkpoint state ([`trustdd_core::TrustPartitioner::state`]).
    pub(super) fn save_state(&self) -> Result<Vec<(String, Tensor)>> {
        let mut out = vec![(ROUNDS.to_string(), count_tensor(self.rounds)?)];
        if let Some(p) = &self.partition {
            out.extend(partition_tensors(p)?);
            out.push((RECALLED.into(), flags_tensor(&self.recalled)?));
            out.push((HISTORY.into(), self.history.to_tensor()?));
            out.push((MARGINS.into(), self.margins.to_tensor()?));
        }
        let (params, buffers) = proxy_tensors(&self.proxy);
        out.extend(numbered_names(PARAM, params));
        out.extend(numbered_names(BUFFER, buffers));
        if let Some(peer) = &self.peer {
            if self.partition.is_some() {
                out.push((PEER_HISTORY.into(), peer.history.to_tensor()?));
                out.push((PEER_MARGINS.into(), peer.margins.to_tensor()?));
                out.push((MAIN_SPLIT.into(), flags_tensor(&peer.main_split)?));
                out.push((PEER_SPLIT.into(), flags_tensor(&peer.peer_split)?));
            }
            let (params, buffers) = proxy_tensors(&peer.proxy);
            out.extend(numbered_names(PEER_PARAM, params));
            out.extend(numbered_names(PEER_BUFFER, buffers));
        }
        out.push((
            DIAGNOSTICS.into(),
            json_tensor("tad diagnostics", &self.diagnostics)?,
        ));
        Ok(out)
    }

    /// Restores [`Tad::save_state`]'s tensors; unknown names are errors.
    pub(super) fn restore_state(&mut self, state: &HashMap<String, Tensor>) -> Result<()> {
        let params = numbered(state, PARAM);
        let buffers = numbered(state, BUFFER);
        let co_divide = self.peer.is_some();
        let peer_params = numbered(state, PEER_PARAM);
        let peer_buffers = numbered(state, PEER_BUFFER);
        // A co-divide state loads only into a co-divide partitioner, and the other way round.
        let known = |k: &str| {
            matches!(
                k,
                ROUNDS | RECALLED | HISTORY | MARGINS | DIAGNOSTICS | "trusted" | "working_labels"
            ) || is_numbered(k, PARAM, params.len())
                || is_numbered(k, BUFFER, buffers.len())
                || (co_divide
                    && (matches!(k, PEER_HISTORY | PEER_MARGINS | MAIN_SPLIT | PEER_SPLIT)
                        || is_numbered(k, PEER_PARAM, peer_params.len())
                        || is_numbered(k, PEER_BUFFER, peer_buffers.len())))
        };
        if let Some(unknown) = state.keys().find(|k| !known(k)) {
            return Err(trustdd_core::Error::invalid(
                "tad state tensor",
                unknown,
                "a name this partitioner saves",
            ));
        }
        let missing = |name: &str| {
            trustdd_core::Error::invalid(
                "tad state",
                format!("no {name:?}"),
                "a complete tad state",
            )
        };
        let rounds = state.get(ROUNDS).ok_or_else(|| missing(ROUNDS))?;
        self.rounds = count_from(rounds)?;
        self.partition = partition_from(state)?;
        let n = self.partition.as_ref().map_or(0, |p| p.trusted.len());
        self.recalled = match (state.get(RECALLED), n) {
            (Some(t), _) => flags_from(t)?,
            (None, 0) => Vec::new(),
            (None, _) => return Err(missing(RECALLED)),
        };
        if self.recalled.len() != n {
            return Err(trustdd_core::Error::shape(
                "saved recalled flags",
                n,
                self.recalled.len(),
            ));
        }
        self.history = LossHistory::new(self.config.loss_window);
        self.margins = LossHistory::new(self.config.loss_window);
        if let Some(h) = state.get(HISTORY) {
            self.history.load_tensor(h, n)?;
            // The split reads both histories: a state with losses and no margins (saved before
            // margins were kept) cannot reproduce it.
            let m = state.get(MARGINS).ok_or_else(|| missing(MARGINS))?;
            self.margins.load_tensor(m, n)?;
        }
        self.diagnostics = match state.get(DIAGNOSTICS) {
            Some(t) => json_from("tad diagnostics", t)?,
            None => Vec::new(),
        };
        self.proxy = pending(params, buffers);
        if co_divide {
            let mut peer = Peer::new(self.config.loss_window);
            if n > 0 {
                let splits = |name: &str| -> Result<Vec<bool>> {
                    let flags = flags_from(state.get(name).ok_or_else(|| missing(name))?)?;
                    if flags.len() != n {
                        return Err(trustdd_core::Error::shape(name, n, flags.len()));
                    }
                    Ok(flags)
                };
                peer.main_split = splits(MAIN_SPLIT)?;
                peer.peer_split = splits(PEER_SPLIT)?;
                let h = state
                    .get(PEER_HISTORY)
                    .ok_or_else(|| missing(PEER_HISTORY))?;
                peer.history.load_tensor(h, n)?;
                let m = state
                    .get(PEER_MARGINS)
                    .ok_or_else(|| missing(PEER_MARGINS))?;
                peer.margins.load_tensor(m, n)?;
                if peer_params.is_empty() {
                    return Err(missing(PEER_PARAM));
                }
            }
            peer.proxy = pending(peer_params, peer_buffers);
            self.peer = Some(peer);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TadConfig;
    use candle_core::DType;
    use trustdd_core::TrustPartitioner;

    #[test]
    fn state_round_trips_and_loading_is_strict() {
        let fresh = Tad::new(TadConfig::default()).unwrap();
        let state: HashMap<String, Tensor> = fresh.state().unwrap().into_iter().collect();
        let mut other = Tad::new(TadConfig::default()).unwrap();
        other.load_state(&state).unwrap();
        assert!(other.partition().is_none() && other.diagnostics().is_empty());
        let mut bad = state.clone();
        bad.insert(
            "bogus".into(),
            Tensor::zeros(1, DType::U8, &Device::Cpu).unwrap(),
        );
        assert!(other
            .load_state(&bad)
            .unwrap_err()
            .to_string()
            .contains("bogus"));
        let mut half = state.clone();
        half.insert(
            "trusted".into(),
            Tensor::zeros(2, DType::U8, &Device::Cpu).unwrap(),
        );
        assert!(
            other.load_state(&half).is_err(),
            "a partition needs its working labels"
        );
        assert!(
            other.load_state(&HashMap::new()).is_err(),
            "rounds are required"
        );
    }

    /// Every state tensor as (dtype, shape, bytes), the diagnostics' JSON excluded.
    fn tensor_bytes(tad: &Tad) -> Vec<(String, String, Vec<usize>, Vec<u8>)> {
        tad.state()
            .unwrap()
            .into_iter()
            .filter(|(name, _)| name != DIAGNOSTICS)
            .map(|(name, t)| {
                let t = t.flatten_all().unwrap();
                // u8, u32, f32 and f64 all convert to f64 exactly: its bits compare exactly.
                let bytes: Vec<u8> = t
                    .to_dtype(DType::F64)
                    .unwrap()
                    .to_vec1::<f64>()
                    .unwrap()
                    .iter()
                    .flat_map(|v| v.to_bits().to_le_bytes())
                    .collect();
                (name, format!("{:?}", t.dtype()), t.dims().to_vec(), bytes)
            })
            .collect()
    }

    #[test]
    fn state_after_rounds_round_trips() {
        // 200 noisy embedded digits, a width-4 proxy, two rounds, a loss window of 2: a state
        // with untrusted samples, recalls, two rounds of losses and trained weights.
        let (train, _) = trustdd_data::embedded_mnist().unwrap();
        let ids: Vec<usize> = (0..200).collect();
        let subset = train.subset(&ids).unwrap();
        let model = trustdd_noise::NoiseConfig::parse("asym:0.4")
            .unwrap()
            .with_dataset_name(subset.name())
            .build()
            .unwrap();
        let ds = trustdd_noise::apply_with_report(subset, model.as_ref(), 1)
            .unwrap()
            .0;
        let mut config = TadConfig::default();
        config.proxy.arch = trustdd_nn::ArchConfig::ConvNet(trustdd_nn::ConvNetConfig {
            width: 4,
            depth: 2,
            ..trustdd_nn::ConvNetConfig::default()
        });
        config.proxy.batch_size = 50;
        config.proxy.warmup_epochs = 2;
        config.proxy.augment = Some(trustdd_train::dsa::DsaConfig::digits());
        config.loss_window = 2;
        config.min_trusted_per_class = 3;
        let mut tad = Tad::new(config.clone()).unwrap();
        for round in 0..2 {
            let ctx = trustdd_core::PartitionContext {
                dataset: &ds,
                device: &Device::Cpu,
                round,
                progress: &trustdd_core::Silent,
            };
            tad.observe(&ctx, &mut trustdd_core::TrustRng::for_item(3, round as u64))
                .unwrap();
        }
        assert_eq!(tad.rounds, 2);
        assert!(tad.recalled.iter().any(|&r| r), "no recalls");
        assert!(tad.partition().unwrap().trusted.iter().any(|&t| !t));
        let state: HashMap<String, Tensor> = tad.state().unwrap().into_iter().collect();
        let mut other = Tad::new(config).unwrap();
        other.load_state(&state).unwrap();
        assert_eq!(other.rounds, tad.rounds);
        assert_eq!(other.partition, tad.partition);
        assert_eq!(other.recalled, tad.recalled);
        assert_eq!(other.history, tad.history);
        assert_eq!(other.margins, tad.margins);
        // The proxy waits, as saved tensors, for the dataset; its tensors are the trained ones.
        let Proxy::Pending { params, buffers } = &other.proxy else {
            panic!("a loaded proxy is pending")
        };
        let net = tad.proxy().unwrap();
        assert_eq!(params.len(), net.vars().len());
        assert_eq!(buffers.len(), net.buffers().len());
        // Saving the loaded state gives the same tensors, byte for byte.
        assert_eq!(tensor_bytes(&other), tensor_bytes(&tad));
        // Diagnostics: the same rounds, exactly (serde_json with `float_roundtrip`), but for the
        // wall-clock seconds, which no saved file holds.
        assert_eq!(other.diagnostics.len(), 2);
        assert!(other.diagnostics.iter().all(|d| d.seconds == 0.0));
        let mut timeless = tad.diagnostics.clone();
        timeless.iter_mut().for_each(|d| d.seconds = 0.0);
        assert_eq!(other.diagnostics, timeless);
    }
}
