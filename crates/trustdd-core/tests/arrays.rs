//! Datasets and synthetic sets to and from `ndarray` arrays: bit-exact round trips, arrays of
//! other memory layouts, and a typed error for every bad input.

use trustdd_core::candle_core::{DType, Device, Tensor, Var};
use trustdd_core::ndarray::{s, Array1, Array2, Array4, Axis};
use trustdd_core::{
    Error, ImageDataset, ImageShape, SyntheticLabels, SyntheticLabelsArray, SyntheticSet, TrustRng,
};

fn names(k: usize) -> Vec<String> {
    (0..k).map(|c| format!("class{c}")).collect()
}

/// 6 images of 3×2×4 with distinct pixel values, labels 0, 1, 2, 0, 1, 2.
fn dataset() -> ImageDataset {
    let shape = ImageShape::new(3, 2, 4);
    let pixels = (0..6 * shape.numel())
        .map(|v| (v * 7 % 256) as u8)
        .collect();
    let labels = (0..6).map(|i| i % 3).collect();
    ImageDataset::new("toy", shape, pixels, labels, names(3)).unwrap()
}

#[test]
fn dataset_round_trips_through_arrays_bit_exact() {
    let ds = dataset().relabel(vec![2, 1, 0, 0, 2, 1]).unwrap();
    let images = ds.images_array();
    assert_eq!(images.dim(), (6, 3, 2, 4));
    // Element (i, c, y, x) is byte i·CHW + c·HW + y·W + x of the dataset.
    assert_eq!(images[[4, 2, 1, 3]], ds.pixels()[4 * 24 + 2 * 8 + 4 + 3]);
    assert_eq!(ds.labels_array().to_vec(), ds.labels());
    assert_eq!(
        ds.clean_labels_array().unwrap().to_vec(),
        vec![0, 1, 2, 0, 1, 2]
    );
    assert_eq!(dataset().clean_labels_array(), None);
    let back = ImageDataset::from_arrays("back", images.view(), ds.labels_array().view(), names(3))
        .unwrap();
    assert_eq!(back.pixels(), ds.pixels());
    assert_eq!(back.labels(), ds.labels());
    assert_eq!(back.shape(), ds.shape());
    assert_eq!(back.name(), "back");
    assert_eq!(back.class_names(), ds.class_names());
}

#[test]
fn dataset_from_transposed_and_strided_views_copies_in_logical_order() {
    let ds = dataset();
    let nchw = ds.images_array();
    // An N×H×W×C array (channels last, as most image libraries hold it), viewed as N×C×H×W.
    let nhwc = nchw
        .view()
        .permuted_axes([0, 2, 3, 1])
        .as_standard_layout()
        .into_owned();
    assert!(nhwc.is_standard_layout());
    let view = nhwc.view().permuted_axes([0, 3, 1, 2]);
    assert!(!view.is_standard_layout());
    let from_view =
        ImageDataset::from_arrays("t", view, ds.labels_array().view(), names(3)).unwrap();
    assert_eq!(from_view.pixels(), ds.pixels());
    // Every other image, and labels reversed twice (negative strides).
    let labels = ds.labels_array();
    let reversed = labels.slice(s![..;-1]).to_owned();
    let strided = ImageDataset::from_arrays(
        "s",
        nchw.slice(s![..;2, .., .., ..]),
        reversed.slice(s![..;-2]),
        names(3),
    )
    .unwrap();
    assert_eq!(strided.len(), 3);
    assert_eq!(strided.image(1), ds.image(2));
    assert_eq!(strided.labels(), &[0, 2, 1]);
}

#[test]
fn dataset_from_bad_arrays_is_a_typed_error() {
    let images = Array4::<u8>::zeros((2, 1, 2, 2));
    let two = Array1::from(vec![0u32, 1]);
    // Labels of the wrong length.
    let three = Array1::from(vec![0u32, 1, 0]);
    let err = ImageDataset::from_arrays("x", images.view(), three.view(), names(2)).unwrap_err();
    assert!(
        matches!(err, Error::ShapeMismatch { ref what, ref expected, ref got }
            if what.contains("labels") && expected == "2" && got == "3"),
        "{err}"
    );
    // A label past the classes.
    let err = ImageDataset::from_arrays("x", images.view(), two.view(), names(1)).unwrap_err();
    assert!(
        matches!(
            err,
            Error::LabelOutOfRange {
                label: 1,
                num_classes: 1,
                ..
            }
        ),
        "{err}"
    );
    // A zero image size; no class.
    let flat = Array4::<u8>::zeros((2, 1, 0, 2));
    let err = ImageDataset::from_arrays("x", flat.view(), two.view(), names(2)).unwrap_err();
    assert!(
        matches!(err, Error::InvalidParameter { ref name, .. } if name.contains("image shape")),
        "{err}"
    );
    let err = ImageDataset::from_arrays("x", images.view(), two.view(), vec![]).unwrap_err();
    assert!(
        matches!(err, Error::InvalidParameter { ref name, .. } if name.contains("classes")),
        "{err}"
    );
}

/// 3 classes × 2 images of 2×3×2 from N(0, 1), hard labels.
fn synthetic() -> SyntheticSet {
    let mut rng = TrustRng::new(7);
    SyntheticSet::from_noise(ImageShape::new(2, 3, 2), 3, 2, &Device::Cpu, &mut rng).unwrap()
}

fn flat(t: &Tensor) -> Vec<f32> {
    t.flatten_all().unwrap().to_vec1().unwrap()
}

fn hard(labels: &[u32]) -> SyntheticLabelsArray {
    SyntheticLabelsArray::Hard(Array1::from(labels.to_vec()))
}

#[test]
fn synthetic_set_with_hard_labels_round_trips_bit_exact() {
    let set = synthetic();
    let images = set.images_array().unwrap();
    assert_eq!(images.dim(), (6, 2, 3, 2));
    let labels = set.labels_array().unwrap();
    assert_eq!(labels, hard(&[0, 0, 1, 1, 2, 2]));
    let back = SyntheticSet::from_arrays(images.view(), &labels, 2, &Device::Cpu).unwrap();
    let (a, b) = (flat(set.images.as_tensor()), flat(back.images.as_tensor()));
    assert_eq!(
        a.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
        b.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
    );
    assert_eq!(back.images.dims(), set.images.dims());
    assert_eq!((back.ipc, back.num_classes), (2, 3));
    match &back.labels {
        SyntheticLabels::Hard(l) => assert_eq!(l, &vec![0, 0, 1, 1, 2, 2]),
        SyntheticLabels::Soft(_) => panic!("hard labels expected"),
    }
}

#[test]
fn synthetic_set_with_soft_labels_round_trips_bit_exact() {
    let mut set = synthetic();
    let logits: Vec<f32> = (0..18).map(|v| (v as f32 - 8.5) / 3.0).collect();
    let logits = Tensor::from_vec(logits, (6, 3), &Device::Cpu).unwrap();
    set.labels = SyntheticLabels::Soft(Var::from_tensor(&logits).unwrap());
    let labels = set.labels_array().unwrap();
    let SyntheticLabelsArray::Soft(array) = &labels else {
        panic!("soft labels expected, got {labels:?}");
    };
    assert_eq!(array.dim(), (6, 3));
    assert_eq!(array[[4, 1]], 1.5); // (4·3 + 1 − 8.5) / 3
    let images = set.images_array().unwrap();
    let back = SyntheticSet::from_arrays(images.view(), &labels, 2, &Device::Cpu).unwrap();
    let SyntheticLabels::Soft(got) = &back.labels else {
        panic!("soft labels expected");
    };
    assert_eq!(got.dims(), &[6, 3]);
    let (a, b) = (flat(&logits), flat(got.as_tensor()));
    assert_eq!(
        a.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
        b.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
    );
    assert_eq!(flat(back.images.as_tensor()), flat(set.images.as_tensor()));
}

#[test]
fn f64_set_converts_to_f32_arrays() {
    let mut set = synthetic();
    let f64_images = set.images.as_tensor().to_dtype(DType::F64).unwrap();
    let logits = Tensor::new(&[[0.25f64, -1.5, 3.0]; 6], &Device::Cpu).unwrap();
    set.images = Var::from_tensor(&f64_images).unwrap();
    set.labels = SyntheticLabels::Soft(Var::from_tensor(&logits).unwrap());
    let images = set.images_array().unwrap();
    let want: Vec<f32> = f64_images
        .flatten_all()
        .unwrap()
        .to_vec1::<f64>()
        .unwrap()
        .iter()
        .map(|&v| v as f32)
        .collect();
    assert_eq!(images.iter().copied().collect::<Vec<_>>(), want);
    let SyntheticLabelsArray::Soft(array) = set.labels_array().unwrap() else {
        panic!("soft labels expected");
    };
    assert_eq!(array.row(5).to_vec(), vec![0.25, -1.5, 3.0]);
}

#[test]
fn synthetic_set_from_a_transposed_view_copies_in_logical_order() {
    let set = synthetic();
    let images = set.images_array().unwrap();
    // Channels last in memory, viewed as N×C×H×W; then the images in reverse order.
    let nhwc = images
        .view()
        .permuted_axes([0, 2, 3, 1])
        .as_standard_layout()
        .into_owned();
    let view = nhwc.view().permuted_axes([0, 3, 1, 2]);
    assert!(!view.is_standard_layout());
    let labels = set.labels_array().unwrap();
    let back = SyntheticSet::from_arrays(view, &labels, 2, &Device::Cpu).unwrap();
    assert_eq!(flat(back.images.as_tensor()), flat(set.images.as_tensor()));
    let mut reversed = images.clone();
    reversed.invert_axis(Axis(0));
    let back = SyntheticSet::from_arrays(reversed.view(), &labels, 2, &Device::Cpu).unwrap();
    let last = back.class_images(2).unwrap().get(1).unwrap();
    assert_eq!(
        flat(&last),
        images
            .index_axis(Axis(0), 0)
            .iter()
            .copied()
            .collect::<Vec<_>>()
    );
}

#[test]
fn synthetic_set_from_bad_arrays_is_a_typed_error() {
    let dev = Device::Cpu;
    let images = Array4::<f32>::zeros((6, 1, 2, 2));
    let labels = hard(&[0, 0, 1, 1, 2, 2]);
    let from = |images: &Array4<f32>, labels: &SyntheticLabelsArray, ipc: usize| {
        SyntheticSet::from_arrays(images.view(), labels, ipc, &dev).unwrap_err()
    };
    // ipc 0.
    let err = from(&images, &labels, 0);
    assert!(
        matches!(err, Error::InvalidParameter { ref name, .. } if name == "ipc"),
        "{err}"
    );
    // N not a multiple of ipc; no image at all.
    let err = from(&images, &labels, 4);
    assert!(
        matches!(err, Error::ShapeMismatch { ref what, ref got, .. }
            if what.contains("ipc = 4") && got == "6 images"),
        "{err}"
    );
    let err = from(&Array4::zeros((0, 1, 2, 2)), &labels, 2);
    assert!(matches!(err, Error::ShapeMismatch { .. }), "{err}");
    // A zero image size.
    let err = from(&Array4::zeros((6, 1, 0, 2)), &labels, 2);
    assert!(
        matches!(err, Error::InvalidParameter { ref name, .. } if name.contains("image shape")),
        "{err}"
    );
    // Hard labels: wrong length, out of range, not class-major.
    let err = from(&images, &hard(&[0, 0, 1, 1, 2]), 2);
    assert!(
        matches!(err, Error::ShapeMismatch { ref what, ref expected, ref got }
            if what.contains("hard labels") && expected == "6" && got == "5"),
        "{err}"
    );
    let err = from(&images, &hard(&[0, 0, 1, 1, 2, 3]), 2);
    assert!(
        matches!(err, Error::LabelOutOfRange { label: 3, num_classes: 3, ref context }
            if context.contains("label 5")),
        "{err}"
    );
    let err = from(&images, &hard(&[0, 1, 0, 1, 2, 2]), 2);
    assert!(
        matches!(err, Error::InvalidParameter { ref name, ref value, ref expected }
            if name.contains("label 1") && value == "1" && expected.starts_with("0 ")),
        "{err}"
    );
    // Soft labels: wrong number of rows, then of classes.
    let soft = |r, c| SyntheticLabelsArray::Soft(Array2::zeros((r, c)));
    for (r, c) in [(5, 3), (6, 2)] {
        let err = from(&images, &soft(r, c), 2);
        assert!(
            matches!(err, Error::ShapeMismatch { ref what, ref expected, ref got }
                if what.contains("soft labels") && expected == "6×3" && *got == format!("{r}×{c}")),
            "{err}"
        );
    }
    // Non-finite images or logits.
    let mut nan = images.clone();
    nan[[3, 0, 1, 0]] = f32::NAN;
    let err = from(&nan, &labels, 2);
    assert!(
        matches!(err, Error::InvalidParameter { ref name, .. }
            if name.contains("synthetic images") && name.contains("value 14")),
        "{err}"
    );
    let mut logits = Array2::zeros((6, 3));
    logits[[2, 2]] = f32::INFINITY;
    let err = from(&images, &SyntheticLabelsArray::Soft(logits), 2);
    assert!(
        matches!(err, Error::InvalidParameter { ref name, .. } if name.contains("soft labels")),
        "{err}"
    );
}
