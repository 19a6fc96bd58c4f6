//! Noisy labels are a pure function of (clean labels, model, seed), whatever the thread count.

use crate::common;

use common::random_images;
use trustdd_core::{NoiseContext, NoiseModel};
use trustdd_noise::NoiseConfig;

fn labels_in_pool(threads: usize, model: &dyn NoiseModel, seed: u64) -> Vec<u32> {
    let ds = random_images("fashion-mnist", 3_000, 10, 7);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        model
            .corrupt(&NoiseContext {
                labels: ds.labels(),
                num_classes: 10,
                dataset: Some(&ds),
                seed,
            })
            .unwrap()
    })
}

#[test]
fn every_model_gives_the_same_labels_on_one_and_two_threads() {
    for spec in [
        "sym:0.4",
        "asym:0.4",
        "map:0.3:1:2,2:1",
        "pair:0.2",
        "idn:0.4",
    ] {
        let model = NoiseConfig::parse(spec).unwrap().build().unwrap();
        let one = labels_in_pool(1, model.as_ref(), 13);
        let two = labels_in_pool(2, model.as_ref(), 13);
        assert_eq!(one, two, "{spec}");
        let again = labels_in_pool(2, model.as_ref(), 13);
        assert_eq!(one, again, "{spec}: same seed");
        let other = labels_in_pool(2, model.as_ref(), 14);
        assert_ne!(one, other, "{spec}: another seed");
    }
}
