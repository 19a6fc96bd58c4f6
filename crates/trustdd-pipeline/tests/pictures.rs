//! The run's pictures: `ood.png` (score histograms) and `partition.png` (a partitioner's split
//! class by class) are drawn, sized by their panels, and the same bytes every time.

use trustdd_core::{ClassSplitView, ImageDataset, ImageShape, SplitView};
use trustdd_ood::{ScoreHistograms, ScoreKind, BINS};
use trustdd_pipeline::{ood_picture, partition_picture};

#[test]
fn the_picture_shows_each_sets_histogram() {
    let id: Vec<f64> = (0..100).map(|i| 0.5 + f64::from(i) / 200.0).collect();
    let sets = vec![
        (
            "near".to_string(),
            (0..50).map(|i| f64::from(i) / 100.0).collect::<Vec<_>>(),
        ),
        ("far".to_string(), vec![0.1; 30]),
    ];
    let h = ScoreHistograms::new(ScoreKind::Msp, &id, &sets);
    assert_eq!(h.edges.len(), BINS + 1);
    assert_eq!(h.in_distribution.iter().sum::<u64>(), 100);
    assert_eq!(h.sets[0].1.iter().sum::<u64>(), 50);
    assert_eq!(h.sets[1].1.iter().sum::<u64>(), 30);
    // The lowest score opens the first bin and the highest closes the last.
    assert_eq!((h.edges[0], h.edges[BINS]), (0.0, 0.995));
    assert_eq!(*h.in_distribution.last().unwrap(), 5);
    let png = ood_picture(&[("plain", &h), ("exposed", &h)]).unwrap();
    assert_eq!(&png[1..4], b"PNG");
    let img = image::load_from_memory(&png).unwrap();
    assert_eq!((img.width(), img.height()), (900, 680));
    // Drawn, not blank, and the same bytes every time.
    assert!(img.to_rgb8().pixels().any(|p| p.0 != [255, 255, 255]));
    assert_eq!(ood_picture(&[("plain", &h), ("exposed", &h)]).unwrap(), png);
}

/// Twelve 1×2×2 images of three classes, the last two of class 0 wrongly labelled 1.
fn noisy_dataset() -> ImageDataset {
    let shape = ImageShape {
        channels: 1,
        height: 2,
        width: 2,
    };
    let clean: Vec<u32> = (0..12).map(|i| i % 3).collect();
    let mut observed = clean.clone();
    observed[9] = 1;
    observed[6] = 1;
    ImageDataset::new(
        "toy",
        shape,
        vec![128u8; 12 * 4],
        observed,
        vec!["a".into(), "b".into(), "c".into()],
    )
    .unwrap()
    .with_clean_labels(clean)
    .unwrap()
}

fn view(dataset: &ImageDataset) -> SplitView {
    let classes = (0..3)
        .map(|c| ClassSplitView {
            class: c,
            samples: (0..dataset.len())
                .filter(|&i| dataset.labels()[i] as usize == c)
                .map(|i| (i, i as f64 / 12.0))
                .collect(),
            components: vec![(0.6, 0.2, 0.01), (0.4, 0.8, 0.02)],
            threshold: Some(0.5),
            rule: "gmm".into(),
        })
        .collect();
    SplitView {
        score: "normalised loss".into(),
        classes,
    }
}

#[test]
fn the_partition_picture_has_a_panel_per_class_and_the_same_bytes_every_time() {
    let ds = noisy_dataset();
    let png = partition_picture(&view(&ds), &ds).unwrap();
    let img = image::load_from_memory(&png).unwrap();
    // Three classes: one row of three 360×260 panels.
    assert_eq!((img.width(), img.height()), (3 * 360, 260));
    let rgb = img.to_rgb8();
    assert!(rgb.pixels().any(|p| p.0 != [255, 255, 255]));
    // The wrongly labelled samples are drawn in red (class b holds two).
    assert!(rgb
        .pixels()
        .any(|p| p.0[0] > 180 && p.0[1] < 90 && p.0[2] < 90));
    assert_eq!(partition_picture(&view(&ds), &ds).unwrap(), png);
    // Without clean labels nothing is red.
    let blind = ImageDataset::new(
        "toy",
        ds.shape(),
        vec![128u8; 12 * 4],
        ds.labels().to_vec(),
        ds.class_names().to_vec(),
    )
    .unwrap();
    let img = image::load_from_memory(&partition_picture(&view(&blind), &blind).unwrap()).unwrap();
    assert!(!img
        .to_rgb8()
        .pixels()
        .any(|p| p.0[0] > 180 && p.0[1] < 90 && p.0[2] < 90));
}

#[test]
fn a_partition_picture_of_nothing_or_of_another_dataset_is_an_error() {
    let ds = noisy_dataset();
    let empty = SplitView {
        score: "normalised loss".into(),
        classes: Vec::new(),
    };
    assert!(partition_picture(&empty, &ds).is_err());
    let mut far = view(&ds);
    far.classes[0].samples.push((40, 0.1));
    let err = partition_picture(&far, &ds).unwrap_err();
    assert!(err.to_string().contains("sample index"), "{err}");
}
