//! The proxy's per-sample figures and the averaged loss history as `ndarray` arrays.

use ndarray::arr1;
use trustdd_trust::{LossHistory, ProxyOutputs};

fn outputs() -> ProxyOutputs {
    ProxyOutputs {
        losses: vec![0.25, 2.5, 0.125],
        predictions: vec![1, 0, 2],
        margins: vec![0.25, -0.25, 0.25],
        probabilities: vec![0.25, 0.5, 0.25, 0.5, 0.25, 0.25, 0.25, 0.25, 0.5],
        features: vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        feature_dim: 2,
    }
}

#[test]
fn proxy_outputs_as_arrays() {
    let out = outputs();
    assert_eq!(out.losses_array(), arr1(&[0.25, 2.5, 0.125]));
    assert_eq!(out.predictions_array(), arr1(&[1, 0, 2]));
    let features = out.features_array().unwrap();
    assert_eq!(features.dim(), (3, 2));
    // Row-major: sample 2's embedding is values 4 and 5.
    assert_eq!(features.row(2).to_vec(), vec![5.0, 6.0]);
    assert_eq!(features[[1, 0]], 3.0);
}

#[test]
fn features_that_do_not_fill_samples_times_width_are_a_shape_error() {
    let mut out = outputs();
    out.feature_dim = 4;
    let err = out.features_array().unwrap_err();
    assert!(
        matches!(err, trustdd_core::Error::ShapeMismatch { ref what, ref expected, ref got }
            if what.contains("proxy features") && expected.contains("3×4") && got.contains("6 values")),
        "{err}"
    );
}

#[test]
fn loss_history_mean_as_an_array() {
    let mut h = LossHistory::new(2);
    assert_eq!(h.mean_array().len(), 0);
    h.push(vec![1.0, 2.0]);
    h.push(vec![3.0, 4.0]);
    h.push(vec![5.0, 8.0]);
    assert_eq!(h.mean_array(), arr1(&[4.0, 6.0]));
    assert_eq!(h.mean_array().to_vec(), h.mean());
}
