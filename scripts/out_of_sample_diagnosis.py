#!/usr/bin/env python3
"""Where BASiS's out-of-sample clustering errors sit (docs/out-of-sample.md).

Run: python3 scripts/out_of_sample_diagnosis.py RUN_DIR TRAIN_X TRAIN_Y TEST_X TEST_Y OUT.json
(needs numpy, scipy and scikit-learn; `cargo xtask data digits` creates an environment with them)

RUN_DIR is a `reproduce basis` output directory (seed-*/test_embedding.npy,
analytic_test_embedding.npy); TRAIN_X / TEST_X the features the network embedded (for
Siamese features: FEATURE_CACHE/train_features.npy and test_features.npy), *_Y the labels.
For every seed: k-means (as many clusters as classes, Hungarian matching) on the test
embedding; each test point's distance to its class's training centroid, in bands of the 99th
percentile q99 of the training points' own distances; per band the error rate, the mean norm of
the network's embedding and of the analytic test embedding. Also the per-feature deviation of
test and training features (the input standardisation's view).
"""
import json
import sys
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans

run, xtr, ytr, xte, yte, out = sys.argv[1:7]
xtr, xte = np.load(xtr), np.load(xte)
ytr = np.load(ytr).astype(int).ravel()
yte = np.load(yte).astype(int).ravel()
classes = ytr.max() + 1
centres = np.array([xtr[ytr == c].mean(0) for c in range(classes)])
d_train = np.linalg.norm(xtr - centres[ytr], axis=1)
d_test = np.linalg.norm(xte - centres[yte], axis=1)
q99 = float(np.quantile(d_train, 0.99))
analytic = np.load(Path(run) / "analytic_test_embedding.npy")
nearest_centroid = np.argmin(((xte[:, None, :] - centres[None]) ** 2).sum(-1), 1)


def correct(pred, y):
    m = np.zeros((classes, classes))
    for p, t in zip(pred, y):
        m[p, t] += 1
    r, c = linear_sum_assignment(-m)
    match = dict(zip(r, c))
    return np.array([match[p] == t for p, t in zip(pred, y)])


bands = [(0.0, 1.0), (1.0, 2.0), (2.0, 4.0), (4.0, np.inf)]
report = {
    "run": str(run),
    "q99_training_distance": q99,
    "test_beyond_q99": float((d_test > q99).mean()),
    "test_beyond_training_max": float((d_test > d_train.max()).mean()),
    "nearest_centroid_error": float((nearest_centroid != yte).mean()),
    "train_singular_values_relative": (lambda sv: (sv / sv[0]).tolist())(
        np.linalg.svd(xtr - xtr.mean(0), compute_uv=False)),
    "feature_std_train": xtr.std(0).tolist(),
    "feature_std_test": xte.std(0).tolist(),
    "seeds": [],
}
for seed_dir in sorted(Path(run).glob("seed-*")):
    emb = np.load(seed_dir / "test_embedding.npy")
    ok = correct(KMeans(classes, n_init=10, random_state=0).fit(emb).labels_, yte)
    seed = {"seed": seed_dir.name, "errors": int((~ok).sum()),
            "errors_beyond_q99": int(((~ok) & (d_test > q99)).sum()), "bands": []}
    for lo, hi in bands:
        m = (d_test >= lo * q99) & (d_test < hi * q99)
        if m.sum() == 0:
            continue
        seed["bands"].append({
            "from_q99": lo, "to_q99": None if np.isinf(hi) else hi, "points": int(m.sum()),
            "error_rate": float((~ok[m]).mean()),
            "network_norm": float(np.linalg.norm(emb[m], axis=1).mean()),
            "analytic_norm": float(np.linalg.norm(analytic[m], axis=1).mean()),
        })
    report["seeds"].append(seed)
tmp = Path(out).with_suffix(".json.tmp")
tmp.write_text(json.dumps(report, indent=1))
tmp.replace(out)
print(json.dumps({k: v for k, v in report.items() if not k.startswith("feature_std")}, indent=1))
