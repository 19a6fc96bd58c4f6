//! The pseudo-outlier pool is corrupted once, as the official code builds it: an image of a
//! group is the same outlier however and whenever it is drawn (speckle's noise included), and
//! different images get different noise.

use crate::common;

use common::{preprocess, sampler, tiny_dataset};
use trustdd_core::{RealSampler, TrustRng};
use trustdd_ood::{GeneratorList, PseudoOutlierSampler};

fn rows(x: &candle_core::Tensor) -> Vec<Vec<f32>> {
    (0..x.dims()[0])
        .map(|i| x.get(i).unwrap().flatten_all().unwrap().to_vec1().unwrap())
        .collect()
}

#[test]
fn each_outlier_is_drawn_from_a_pool_corrupted_once() {
    let inner = sampler(tiny_dataset(2, 6, 3));
    let po = PseudoOutlierSampler::new(
        inner,
        GeneratorList::parse("speckle").unwrap(),
        preprocess(),
        7,
    )
    .unwrap();
    let ids: Vec<usize> = po.class_members(0).to_vec();
    let all = rows(&po.images(&ids).unwrap());
    // Alone, in another order, or again: the same pixels.
    let alone = rows(&po.images(&ids[3..4]).unwrap());
    assert_eq!(alone[0], all[3]);
    let reversed: Vec<usize> = ids.iter().rev().copied().collect();
    let back = rows(&po.images(&reversed).unwrap());
    assert_eq!(back[0], all[ids.len() - 1]);
    // A draw through `sample` returns pool members, whatever the draw's random stream.
    let drawn = rows(&po.sample(0, 12, &mut TrustRng::new(99)).unwrap());
    assert!(drawn.iter().all(|r| all.contains(r)));
    // The noise is per image: no two outliers are equal.
    for i in 0..all.len() {
        for j in 0..i {
            assert_ne!(all[i], all[j], "outliers {i} and {j} are equal");
        }
    }
}
