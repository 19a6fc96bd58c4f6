"""Split rules compared on dumped proxy outputs (issue 18; docs/algorithms.md section 5).

Reads the files `cargo run --release --example proxy_outputs` writes (one directory per draw)
and prints, for round R (default 0), the precision and recall of: TAD's partition as run; trusting
where the proxy predicts the observed label (prediction-label agreement); and a class-wise
two-component GMM on the min-max normalised negated margin, vetoed by agreement. The GMM here
is a plain numpy EM (median-split start, 30 iterations, 5e-4 added to the variances), an
independent approximation of trustdd's, so its figures are a guide; the runs' figures come
from `trustdd partition`.

    python3 docs/analysis/split_rules.py DIR [R]
"""
import sys

import numpy as np

CLASSES = 10


def load(d, r):
    u8 = lambda name: np.fromfile(f"{d}/{name}", np.uint8).astype(int)
    prob = np.fromfile(f"{d}/r{r}_prob.f64").reshape(-1, CLASSES)
    return (u8("observed.u8"), u8("clean.u8"), prob,
            u8(f"r{r}_trusted.u8").astype(bool), u8(f"r{r}_working.u8"))


def precision_recall(trusted, labels, clean, observed):
    right = labels == clean
    precision = (trusted & right).sum() / max(trusted.sum(), 1)
    recall = (trusted & (observed == clean)).sum() / max((observed == clean).sum(), 1)
    return 100 * precision, 100 * recall


def low_posterior(x, iters=30, reg=5e-4):
    lo = x <= np.median(x)
    w = np.array([lo.mean(), 1 - lo.mean()])
    mu = np.array([x[lo].mean(), x[~lo].mean() if (~lo).any() else x.max()])
    var = np.array([x[lo].var(), x[~lo].var() if (~lo).any() else 0.0]) + reg

    def posterior():
        ll = -0.5 * (x[:, None] - mu) ** 2 / var - 0.5 * np.log(2 * np.pi * var) + np.log(w)
        p = np.exp(ll - ll.max(1, keepdims=True))
        return p / p.sum(1, keepdims=True)

    for _ in range(iters):
        p = posterior()
        nk = p.sum(0)
        w, mu = nk / len(x), (p * x[:, None]).sum(0) / nk
        var = (p * (x[:, None] - mu) ** 2).sum(0) / nk + reg
    return posterior()[:, np.argmin(mu)]


def classwise(score, observed, tau=0.5):
    trusted = np.zeros(len(observed), bool)
    for c in range(CLASSES):
        i = np.where(observed == c)[0]
        s = score[i]
        s = (s - s.min()) / (s.max() - s.min() + 1e-12)
        trusted[i] = low_posterior(s) > tau
    return trusted


def main():
    d, r = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 0
    observed, clean, prob, trusted, working = load(d, r)
    n = np.arange(len(observed))
    pred = prob.argmax(1)
    p_obs = prob[n, observed]
    others = prob.copy()
    others[n, observed] = -1.0
    margin = p_obs - others.max(1)
    agree = margin > 0
    print(f"{d} round {r}: noise {100 * (observed != clean).mean():.2f}%, "
          f"proxy accuracy on clean labels {100 * (pred == clean).mean():.1f}%")
    rows = [("TAD's partition", trusted, working),
            ("agreement", agree, observed),
            ("GMM on -margin, agreement", classwise(-margin, observed) & agree, observed)]
    for name, t, labels in rows:
        p, rc = precision_recall(t, labels, clean, observed)
        print(f"  {name:28s} precision {p:5.1f}%  recall {rc:5.1f}%  trusted {t.sum()}")


if __name__ == "__main__":
    main()
