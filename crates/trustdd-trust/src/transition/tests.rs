use super::*;

/// Softmax rows of 40 samples × 3 classes, logits `sin(1.3 s + 0.7 c)·(1 + c)`.
fn rows() -> Vec<f64> {
    let (n, k) = (40, 3);
    let mut p = Vec::new();
    for s in 0..n {
        let l: Vec<f64> = (0..k)
            .map(|c| (1.3 * s as f64 + 0.7 * c as f64).sin() * (1.0 + c as f64))
            .collect();
        let m = l.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let z: f64 = l.iter().map(|v| (v - m).exp()).sum();
        p.extend(l.iter().map(|v| (v - m).exp() / z));
    }
    p
}

/// The anchor rule equals numpy's, from this script (numpy 2.4.6):
///
/// ```text
/// import numpy as np
/// n, k = 40, 3
/// logits = np.array([[np.sin(1.3 * s + 0.7 * c) * (1 + c) for c in range(k)] for s in range(n)])
/// p = np.exp(logits - logits.max(1, keepdims=True)); p /= p.sum(1, keepdims=True)
/// T = np.empty((k, k))
/// for i in range(k):
///     col = p[:, i].copy()
///     thr = np.percentile(col, 97, method='higher')
///     col[col >= thr] = 0.0
///     T[i] = p[np.argmax(col)]
/// print(repr(T.ravel()))
/// ```
#[test]
fn the_anchor_estimate_equals_the_numpy_rule() {
    let expected = [
        0.7438909967615345,
        0.21877336249176582,
        0.03733564074669968,
        0.21183276719547053,
        0.49762992197220646,
        0.290537310832323,
        0.05817503144951554,
        0.11781722086121271,
        0.8240077476892718,
    ];
    let t = Transition::estimate(&rows(), 3, 0.97).unwrap();
    assert_eq!(t.classes, 3);
    for (got, want) in t.rows.iter().zip(expected) {
        assert!((got - want).abs() < 1e-12, "{got} vs {want}");
    }
    // At quantile 1 the anchor is the largest value below the maximum, not the maximum.
    let top = Transition::estimate(&rows(), 3, 1.0).unwrap();
    let column: Vec<f64> = rows().chunks(3).map(|r| r[0]).collect();
    let max = column.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    assert!(top.get(0, 0) < max);
    assert!(column.iter().any(|&v| v == top.get(0, 0)));
}

#[test]
fn the_estimate_refuses_bad_shapes_and_values() {
    assert!(Transition::estimate(&[0.5, 0.5, 1.0], 2, 0.97).is_err());
    assert!(Transition::estimate(&[], 2, 0.97).is_err());
    let err = Transition::estimate(&[0.5, f64::NAN], 2, 0.97).unwrap_err();
    assert!(err.to_string().contains("softmax"), "{err}");
    let err = Transition::estimate(&[0.5, 0.5], 2, 0.0).unwrap_err();
    assert!(err.to_string().contains("anchor_quantile"), "{err}");
    assert!(Transition::new(2, vec![0.5; 3]).is_err());
    let err = Transition::new(2, vec![0.5, 0.5, 1.5, -0.5]).unwrap_err();
    assert!(err.to_string().contains("probability"), "{err}");
    let err = ForwardCorrection {
        epochs: 0,
        ..ForwardCorrection::default()
    }
    .validate()
    .unwrap_err();
    assert!(
        err.to_string().contains("forward_correction.epochs"),
        "{err}"
    );
}

fn swap() -> Transition {
    Transition::new(2, vec![0.6, 0.4, 0.4, 0.6]).unwrap()
}

fn loss_value(t: &Transition, logits: &[f64], shape: (usize, usize), labels: &[u32]) -> f64 {
    let l = Tensor::from_slice(logits, shape, &Device::Cpu).unwrap();
    t.corrected_loss(&l, labels)
        .unwrap()
        .to_scalar::<f64>()
        .unwrap()
}

/// Logits (0, ln 2) give p = (1/3, 2/3); through the 40% swap the observed class 0 has
/// probability 0.6/3 + 0.4·2/3 = 7/15.
#[test]
fn the_corrected_loss_has_the_closed_form() {
    assert!((swap().noise_rate() - 0.4).abs() < 1e-12);
    let v = loss_value(&swap(), &[0.0, 2f64.ln()], (1, 2), &[0]);
    assert!((v - (-(7.0f64 / 15.0).ln())).abs() < 1e-12, "{v}");
    // The identity gives the plain cross-entropy.
    let eye = Transition::new(3, vec![1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]).unwrap();
    let logits = [0.3, -1.2, 2.0, 1.5, 0.1, -0.4];
    let labels = [2u32, 0];
    let l = Tensor::from_slice(&logits, (2, 3), &Device::Cpu).unwrap();
    let y = Tensor::from_slice(&labels, 2, &Device::Cpu).unwrap();
    let plain = candle_nn::loss::cross_entropy(&l, &y)
        .unwrap()
        .to_scalar::<f64>()
        .unwrap();
    let v = loss_value(&eye, &logits, (2, 3), &labels);
    assert!((v - plain).abs() < 1e-9, "{v} vs {plain}");
    let err = swap().corrected_loss(&l, &labels).unwrap_err();
    assert!(err.to_string().contains("forward-corrected"), "{err}");
}

/// The gradient in the logits equals central differences (f64).
#[test]
fn the_corrected_loss_gradient_matches_finite_differences() {
    let t = Transition::estimate(&rows(), 3, 0.97).unwrap();
    let a: Vec<f64> = (0..12).map(|i| ((i * 7 % 11) as f64 - 5.0) / 3.0).collect();
    let labels = [0u32, 2, 1, 2];
    crate::grad_check::assert_gradient_matches_differences(
        |l| t.corrected_loss(l, &labels).unwrap(),
        &a,
        (4, 3),
    );
}

/// `T = [[0.8, 0.2], [0.3, 0.7]]`, solved by hand: the clean row `p = (0.9, 0.1)` is seen by a
/// noisy-trained network as `p̃ = Tᵀ p = (0.75, 0.25)`; backward correction gives `p` back, and
/// Bayes' rule gives `P(clean 0 | y = 0) = 0.72 / 0.75 = 0.96` and `P(clean 0 | y = 1) =
/// 0.18 / 0.25 = 0.72`. The row `(1, 0)` corrects to `(1.4, −0.4)`, clips to `(1, 0)`, and then
/// class 0 explains either label alone.
#[test]
fn the_clean_posterior_matches_a_hand_solved_two_class_case() {
    let t = Transition::new(2, vec![0.8, 0.2, 0.3, 0.7]).unwrap();
    let noisy = [0.75, 0.25, 0.75, 0.25, 1.0, 0.0];
    let post = t.clean_posterior(&noisy, &[0, 1, 1], true).unwrap();
    let expected = [0.96, 0.04, 0.72, 0.28, 1.0, 0.0];
    for (got, want) in post.iter().zip(expected) {
        assert!((got - want).abs() < 1e-12, "{post:?}");
    }
    // Rows already clean: the same answer from `p` without the correction.
    let clean = [0.9, 0.1, 0.9, 0.1];
    let post = t.clean_posterior(&clean, &[0, 1], false).unwrap();
    for (got, want) in post.iter().zip(&expected[..4]) {
        assert!((got - want).abs() < 1e-12, "{post:?}");
    }
}

/// Under the identity the posterior of a clean-trained network is a point mass on the label,
/// whatever the image says.
#[test]
fn without_noise_the_posterior_is_the_label() {
    let t = Transition::new(3, vec![1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]).unwrap();
    let post = t
        .clean_posterior(&[0.2, 0.5, 0.3, 0.6, 0.3, 0.1], &[2, 1], false)
        .unwrap();
    assert_eq!(post, vec![0.0, 0.0, 1.0, 0.0, 1.0, 0.0]);
}

#[test]
fn the_clean_posterior_rejects_bad_input() {
    let t = Transition::new(2, vec![0.8, 0.2, 0.3, 0.7]).unwrap();
    assert!(t.clean_posterior(&[0.5, 0.5, 0.5], &[0, 1], false).is_err());
    assert!(t.clean_posterior(&[0.5, 0.5], &[2], false).is_err());
    assert!(t.clean_posterior(&[f64::NAN, 0.5], &[0], false).is_err());
    let singular = Transition::new(2, vec![0.5, 0.5, 0.5, 0.5]).unwrap();
    let err = singular
        .clean_posterior(&[0.5, 0.5], &[0], true)
        .unwrap_err();
    assert!(err.to_string().contains("transition matrix"), "{err}");
    // Forward use needs no inverse.
    assert!(singular.clean_posterior(&[0.5, 0.5], &[0], false).is_ok());
}
