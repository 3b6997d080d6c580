#!/usr/bin/env python3
"""Regenerates reference.json: metric values from scikit-learn and scipy on fixed inputs.

The Rust tests in ../reference.rs recompute every value with basis-metrics and compare.
Run from anywhere (needs numpy, scipy, scikit-learn; not needed to build or test):

    python3 -m venv /tmp/ref && /tmp/ref/bin/pip install numpy scipy scikit-learn
    /tmp/ref/bin/python crates/basis-metrics/tests/reference/make_reference.py
"""
import json
import os

import numpy as np
import scipy
import scipy.linalg
import scipy.optimize
import sklearn
from sklearn.cluster import KMeans
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import normalized_mutual_info_score

rng = np.random.RandomState(20231122)
out = {
    "generated_by": "make_reference.py",
    "numpy": np.__version__,
    "scipy": scipy.__version__,
    "scikit_learn": sklearn.__version__,
}

# NMI (both normalisations) and ACC (Hungarian matching of the contingency table).
labelings = []
for n, ct, cp in [(50, 3, 3), (200, 5, 7), (1000, 10, 10), (300, 4, 2), (120, 6, 6)]:
    truth = rng.randint(0, ct, size=n)
    # Correlated prediction: keep the class with probability 0.6, else random.
    pred = np.where(rng.rand(n) < 0.6, truth % cp, rng.randint(0, cp, size=n))
    table = np.zeros((truth.max() + 1, pred.max() + 1), dtype=np.int64)
    np.add.at(table, (truth, pred), 1)
    rows, cols = scipy.optimize.linear_sum_assignment(-table)
    labelings.append({
        "truth": truth.tolist(),
        "pred": pred.tolist(),
        "nmi_max": normalized_mutual_info_score(truth, pred, average_method="max"),
        "nmi_arithmetic": normalized_mutual_info_score(truth, pred, average_method="arithmetic"),
        "acc": table[rows, cols].sum() / n,
    })
out["labelings"] = labelings

# Principal angles (scipy returns them in descending order; stored ascending) and d_G.
subspaces = []
for n, k, noise in [(30, 4, None), (100, 10, 1e-3), (50, 3, 1e-7), (40, 5, 0.5)]:
    y1 = rng.randn(n, k)
    y2 = rng.randn(n, k) if noise is None else y1 @ rng.randn(k, k) + noise * rng.randn(n, k)
    angles = np.sort(scipy.linalg.subspace_angles(y1, y2))
    subspaces.append({
        "n": n, "k": k,
        "y1": y1.ravel().tolist(), "y2": y2.ravel().tolist(),  # row-major
        "angles": angles.tolist(),
        "grassmann": float(k - np.sum(np.cos(angles) ** 2)),
    })
out["subspaces"] = subspaces

# Orthogonality with unit-norm columns, computed directly with numpy.
orth = []
for n, k in [(60, 3), (200, 10)]:
    y = rng.randn(n, k) + 0.3 * rng.randn(n, 1)
    u = y / np.linalg.norm(y, axis=0)
    orth.append({"n": n, "k": k, "y": y.ravel().tolist(),
                 "unit_norm": float(np.linalg.norm(u.T @ u - np.eye(k)) ** 2),
                 "none": float(np.linalg.norm(y.T @ y - np.eye(k)) ** 2)})
out["orthogonality"] = orth

# k-means on well separated blobs: scikit-learn's best inertia over 10 k-means++ restarts.
centres = rng.randn(5, 4) * 10
blob_labels = np.repeat(np.arange(5), 40)
blobs = centres[blob_labels] + rng.randn(200, 4)
km = KMeans(n_clusters=5, n_init=10, random_state=0).fit(blobs)
out["kmeans"] = {"n": 200, "d": 4, "k": 5, "x": blobs.ravel().tolist(),
                 "labels": blob_labels.tolist(), "inertia": float(km.inertia_)}

# Linear probe: unregularised multinomial logistic regression on standardised inputs.
means = rng.randn(3, 4) * 1.2
ytr = rng.randint(0, 3, size=300)
yte = rng.randint(0, 3, size=150)
xtr = means[ytr] + rng.randn(300, 4)
xte = means[yte] + rng.randn(150, 4)
mu, sd = xtr.mean(0), xtr.std(0)
lr = LogisticRegression(C=np.inf, max_iter=100000, tol=1e-12).fit((xtr - mu) / sd, ytr)
p = lr.predict_proba((xtr - mu) / sd)
out["probe"] = {
    "d": 4,
    "train_x": xtr.ravel().tolist(), "train_y": ytr.tolist(),
    "test_x": xte.ravel().tolist(), "test_y": yte.tolist(),
    "train_loss": float(-np.mean(np.log(p[np.arange(300), ytr]))),
    "test_accuracy": float(lr.score((xte - mu) / sd, yte)),
}

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1)
print("wrote", path)
