//! A run small enough for a test: 300 embedded digits, IPC 2, two DM iterations on a tiny
//! ConvNet, TAD with a one-epoch proxy, one two-epoch evaluation.

use trustdd_distill::DmConfig;
use trustdd_nn::{ArchConfig, ConvNetConfig};
use trustdd_pipeline::{ObjectiveConfig, PartitionerConfig, RunConfig};
use trustdd_trust::TadConfig;

pub fn tiny_arch() -> ArchConfig {
    ArchConfig::ConvNet(ConvNetConfig {
        width: 4,
        depth: 2,
        ..ConvNetConfig::default()
    })
}

pub fn tiny_run() -> RunConfig {
    let mut c = RunConfig::default();
    c.data.train_limit = 300;
    c.ipc = 2;
    c.iterations = 2;
    c.objective = ObjectiveConfig::Dm(DmConfig {
        arch: tiny_arch(),
        real_batch: 8,
        ..DmConfig::default()
    });
    let mut tad = TadConfig::default();
    tad.proxy.arch = tiny_arch();
    tad.proxy.warmup_epochs = 1;
    tad.proxy.epochs_per_round = 1;
    tad.proxy.batch_size = 64;
    tad.min_trusted_per_class = 2;
    c.partitioner = PartitionerConfig::Tad(tad);
    c.trust.refresh = 1;
    c.trust.warmup_rounds = 1;
    c.eval.architectures = vec![tiny_arch()];
    c.eval.runs = 1;
    c.eval.train.epochs = 2;
    c
}
