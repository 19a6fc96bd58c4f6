//! Property tests of the noise models and the spec grammar on random label vectors, class
//! counts, rates and seeds (small case counts: the file runs in seconds).

use proptest::prelude::*;
use trustdd_core::{Error, NoiseContext, NoiseModel};
use trustdd_noise::{AsymMap, Asymmetric, ClassMap, NoiseConfig, Symmetric};

const CASES: u32 = 48;

fn corrupt(model: &dyn NoiseModel, labels: &[u32], classes: usize, seed: u64) -> Vec<u32> {
    let ctx = NoiseContext {
        labels,
        num_classes: classes,
        dataset: None,
        seed,
    };
    model.corrupt(&ctx).expect("valid labels and class count")
}

/// A class count `C ≥ 2` and `n` labels below it.
fn labels(max_classes: usize, max_len: usize) -> impl Strategy<Value = (usize, Vec<u32>)> {
    (2..=max_classes)
        .prop_flat_map(move |c| (Just(c), prop::collection::vec(0..c as u32, 0..max_len)))
}

/// A user map on `c` classes: each source class at most once, targets anywhere below `c`.
fn class_map(c: usize) -> impl Strategy<Value = ClassMap> {
    prop::collection::btree_map(0..c as u32, 0..c as u32, 1..=c)
        .prop_map(|m| ClassMap::new(m.into_iter().collect()).expect("distinct sources"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn symmetric_labels_stay_in_range_and_repeat_for_a_seed(
        (c, y) in labels(12, 300), rate in 0.0..1.0f64, seed: u64,
    ) {
        let m = Symmetric::new(rate).unwrap();
        let a = corrupt(&m, &y, c, seed);
        prop_assert_eq!(a.len(), y.len());
        prop_assert!(a.iter().all(|&l| (l as usize) < c));
        prop_assert_eq!(&a, &corrupt(&m, &y, c, seed));
    }

    /// A flip never lands on the true class, so the fraction of changed labels is the rate
    /// itself. Were a flip drawn among all C classes, it would be `rate·(C−1)/C`, at least
    /// 0.3/5 = 0.06 below it here, while 5 binomial standard deviations at n = 4000 are at most
    /// 5·√(0.25/4000) ≈ 0.04.
    #[test]
    fn symmetric_changes_exactly_rate_of_the_labels(
        c in 2..=5usize, rate in 0.3..0.9f64, seed: u64,
    ) {
        let n = 4000;
        let y: Vec<u32> = (0..n).map(|i| (i % c) as u32).collect();
        let noisy = corrupt(&Symmetric::new(rate).unwrap(), &y, c, seed);
        let changed = y.iter().zip(&noisy).filter(|(a, b)| a != b).count() as f64 / n as f64;
        let sd = (rate * (1.0 - rate) / n as f64).sqrt();
        prop_assert!((changed - rate).abs() < 5.0 * sd, "changed {changed}, rate {rate}");
    }

    #[test]
    fn pair_flip_moves_only_to_the_next_class(
        (c, y) in labels(12, 300), rate in 0.0..1.0f64, seed: u64,
    ) {
        let m = Asymmetric::pair_flip(rate).unwrap();
        let a = corrupt(&m, &y, c, seed);
        prop_assert_eq!(&a, &corrupt(&m, &y, c, seed));
        for (&clean, &noisy) in y.iter().zip(&a) {
            prop_assert!(noisy == clean || noisy == (clean + 1) % c as u32);
        }
    }

    #[test]
    fn asymmetric_follows_the_user_map_and_leaves_other_classes_alone(
        ((c, y), map) in labels(10, 300).prop_flat_map(|(c, y)| (Just((c, y)), class_map(c))),
        rate in 0.0..1.0f64,
        seed: u64,
    ) {
        let m = Asymmetric::new(rate, AsymMap::Pairs(map.clone())).unwrap();
        let a = corrupt(&m, &y, c, seed);
        prop_assert_eq!(&a, &corrupt(&m, &y, c, seed));
        for (&clean, &noisy) in y.iter().zip(&a) {
            let partner = map.pairs().iter().find(|(s, _)| *s == clean).map(|&(_, t)| t);
            prop_assert!(noisy == clean || Some(noisy) == partner, "{clean} -> {noisy}");
        }
    }

    #[test]
    fn rate_zero_is_the_identity(
        (c, y) in labels(12, 300), seed: u64, map_seed in 0..3u32,
    ) {
        let map = ClassMap::new(vec![(0, 1), (1, map_seed % c as u32)]).unwrap();
        let models: [Box<dyn NoiseModel>; 3] = [
            Box::new(Symmetric::new(0.0).unwrap()),
            Box::new(Asymmetric::pair_flip(0.0).unwrap()),
            Box::new(Asymmetric::new(0.0, AsymMap::Pairs(map)).unwrap()),
        ];
        for m in &models {
            prop_assert_eq!(&corrupt(m.as_ref(), &y, c, seed), &y, "{}", m.name());
        }
    }

    #[test]
    fn parse_never_panics_on_any_string(spec in any::<String>()) {
        let _ = NoiseConfig::parse(&spec);
    }

    #[test]
    fn parse_never_panics_on_spec_like_strings(
        spec in "(none|sym|asym|map|pair|idn|cifar10n|cifar100n|file)(:[-0-9.a-zNI@,:e ]{0,12}){0,3}",
    ) {
        let _ = NoiseConfig::parse(&spec);
    }

    #[test]
    fn accepted_specs_print_back_to_the_same_config(
        model in prop::sample::select(vec!["sym", "pair", "idn", "asym"]),
        rate in 0.0..1.0f64,
    ) {
        let config = NoiseConfig::parse(&format!("{model}:{rate}")).unwrap();
        prop_assert_eq!(NoiseConfig::parse(&config.to_string()).unwrap(), config);
    }

    #[test]
    fn rates_outside_zero_one_are_typed_errors_naming_the_rate(
        model in prop::sample::select(vec!["sym", "pair", "idn", "asym", "map"]),
        rate in prop_oneof![
            -1e6..0.0f64,
            1.0..1e6f64,
            Just(f64::NAN),
            Just(f64::INFINITY),
            Just(f64::NEG_INFINITY),
        ],
    ) {
        let tail = if model == "map" { ":0:1" } else { "" };
        let err = NoiseConfig::parse(&format!("{model}:{rate}{tail}")).unwrap_err();
        prop_assert!(
            matches!(&err, Error::InvalidParameter { name, .. } if name == &format!("{model} noise rate")),
            "{err}"
        );
        prop_assert!(Symmetric::new(rate).is_err());
        prop_assert!(Asymmetric::pair_flip(rate).is_err());
    }
}
