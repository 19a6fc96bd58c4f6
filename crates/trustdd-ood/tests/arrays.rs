//! OOD scores of host logits and metrics of host score arrays: the same figures as the slice and
//! tensor functions, for arrays of any memory layout, and their errors.

use candle_core::{Device, Tensor};
use ndarray::{arr1, arr2, s, Array1, Array2};
use trustdd_ood::{ood_metrics, ood_metrics_arrays, scores, scores_array, ScoreKind};

/// 4 rows of 3 logits, distinct per row.
fn logits() -> Array2<f64> {
    Array2::from_shape_fn((4, 3), |(i, k)| {
        ((i * 3 + k) * 7 % 5) as f64 - 1.5 * k as f64
    })
}

#[test]
fn scores_array_equals_scores_of_the_same_logits_in_any_layout() {
    let z = logits();
    let flat: Vec<f64> = z.iter().copied().collect();
    let t = Tensor::from_vec(flat, (4, 3), &Device::Cpu).unwrap();
    // A transposed copy viewed back: the same logical logits, column-major in memory.
    let zt = z.t().as_standard_layout().into_owned();
    let view = zt.t();
    assert!(!view.is_standard_layout());
    for kind in ScoreKind::ALL {
        let want = scores(&t, kind, 2.0).unwrap();
        assert_eq!(scores_array(z.view(), kind, 2.0).unwrap().to_vec(), want);
        assert_eq!(scores_array(view, kind, 2.0).unwrap().to_vec(), want);
        // f32 host logits: scored in f64 as scores() does for an f32 tensor.
        let z32 = z.mapv(|v| v as f32);
        let t32 = t.to_dtype(candle_core::DType::F32).unwrap();
        let want32 = scores(&t32, kind, 2.0).unwrap();
        assert_eq!(
            scores_array(z32.view(), kind, 2.0).unwrap().to_vec(),
            want32
        );
    }
    // By hand: MaxLogit of [[1, 2, 3], [0, 0, 0]] rows.
    let got = scores_array(
        arr2(&[[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]).view(),
        ScoreKind::MaxLogit,
        1.0,
    );
    assert_eq!(got.unwrap(), arr1(&[3.0, 0.0]));
}

#[test]
fn scores_array_errors_are_those_of_scores() {
    let z = logits();
    assert!(matches!(
        scores_array(z.view(), ScoreKind::Energy, 0.0),
        Err(trustdd_core::Error::InvalidParameter { ref name, .. }) if name.contains("temperature")
    ));
    assert!(matches!(
        scores_array(Array2::<f64>::zeros((0, 3)).view(), ScoreKind::Msp, 1.0),
        Err(trustdd_core::Error::Empty { .. })
    ));
    assert!(matches!(
        scores_array(Array2::<f64>::zeros((2, 0)).view(), ScoreKind::Msp, 1.0),
        Err(trustdd_core::Error::InvalidParameter { ref name, .. }) if name.contains("classes")
    ));
}

#[test]
fn ood_metrics_arrays_equal_ood_metrics_for_strided_views() {
    let id: Vec<f64> = (0..30).map(|i| ((i * 37) % 11) as f64).collect();
    let ood: Vec<f64> = (0..25).map(|i| ((i * 13) % 7) as f64).collect();
    let want = ood_metrics(&id, &ood).unwrap();
    let (id_a, ood_a) = (Array1::from(id.clone()), Array1::from(ood.clone()));
    assert_eq!(ood_metrics_arrays(id_a.view(), ood_a.view()).unwrap(), want);
    // Every other score, and reversed: non-contiguous views.
    let even: Vec<f64> = id.iter().step_by(2).copied().collect();
    let reversed: Vec<f64> = ood.iter().rev().copied().collect();
    let want = ood_metrics(&even, &reversed).unwrap();
    let got = ood_metrics_arrays(id_a.slice(s![..;2]), ood_a.slice(s![..;-1])).unwrap();
    assert_eq!(got, want);
    // A column of a row-major matrix (stride 2).
    let m = Array2::from_shape_fn((25, 2), |(i, j)| if j == 0 { ood[i] } else { -1.0 });
    let got = ood_metrics_arrays(id_a.view(), m.column(0)).unwrap();
    assert_eq!(got, ood_metrics(&id, &ood).unwrap());
}

#[test]
fn ood_metrics_arrays_errors_are_those_of_ood_metrics() {
    let one = arr1(&[1.0]);
    let empty = Array1::<f64>::zeros(0);
    assert!(matches!(
        ood_metrics_arrays(empty.view(), one.view()),
        Err(trustdd_core::Error::Empty { .. })
    ));
    assert!(matches!(
        ood_metrics_arrays(one.view(), empty.view()),
        Err(trustdd_core::Error::Empty { .. })
    ));
    let nan = arr1(&[0.5, f64::NAN]);
    assert!(matches!(
        ood_metrics_arrays(nan.slice(s![..;-1]), one.view()),
        Err(trustdd_core::Error::InvalidParameter { .. })
    ));
}
