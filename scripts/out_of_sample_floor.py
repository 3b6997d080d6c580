#!/usr/bin/env python3
"""What a test d_G can reach when the test graph is not the training graph (docs/out-of-sample.md).

Run: python3 scripts/out_of_sample_floor.py RUN_DIR FEATURES_DIR TRAIN_Y TEST_Y TRAIN_EMB_DIR OUT.json
(needs numpy, scipy and scikit-learn; `cargo xtask data digits` creates an environment with them)

RUN_DIR is a `reproduce basis` output directory (seed-*/test_embedding.npy,
analytic_test_embedding.npy), FEATURES_DIR the feature cache (train_features.npy,
test_features.npy), TRAIN_EMB_DIR holds train-SEED.npy, each seed's network applied to its own
training features (`basis embed --model RUN_DIR/seed-S/model --input FEATURES_DIR/train_features.npy
--out TRAIN_EMB_DIR/train-S.npy`).

For the training and the test graph (built here in numpy as the toolkit builds it: k = 50
neighbours, self-tuning sigma at the 7th, max-symmetrised, L_N), it reports the K + 2 smallest
eigenvalues, the d_G (sum of sin^2 of the principal angles) to the K leading eigenvectors of
(a) the class indicators and (b) the class indicators weighted by sqrt(degree) (the eigenvectors
L_N has when the graph falls into K components: an oracle that knows the labels and the graph),
and of each seed's network embedding. The toolkit's own analytic test embedding is compared with
the numpy one as a check of this reimplementation. The test graph's d_G of the network is also
given for k = 25 and 13 (the neighbourhood's share of a smaller set).
"""
import json
import sys
from pathlib import Path

import numpy as np
import scipy.linalg as sl
from sklearn.neighbors import NearestNeighbors

run, feats, ytr, yte, train_emb, out = sys.argv[1:7]
run, feats, train_emb = Path(run), Path(feats), Path(train_emb)
K = 10


def graph(x, k=50, local=7):
    d, idx = NearestNeighbors(n_neighbors=k + 1).fit(x).kneighbors(x)
    sigma = d[:, local]
    w = np.zeros((len(x), len(x)))
    for a in range(len(x)):
        b = idx[a, 1:]
        w[a, b] = np.exp(-d[a, 1:] ** 2 / (sigma[a] * sigma[b]))
    return np.maximum(w, w.T)


def eigen(w):
    deg = w.sum(1)
    s = 1 / np.sqrt(deg)
    lam, v = sl.eigh(np.eye(len(w)) - s[:, None] * w * s[None, :])
    return deg, lam, v


def d_g(a, b):
    qa, _ = np.linalg.qr(a)
    qb, _ = np.linalg.qr(b)
    c = np.clip(np.linalg.svd(qa.T @ qb, compute_uv=False), 0, 1)
    return float(np.sum(1 - c**2))


seeds = sorted(int(p.name.split("-")[1]) for p in run.glob("seed-*"))
result = {"k_neighbours": 50, "seeds": seeds}
for split, labels in (("train", ytr), ("test", yte)):
    x = np.load(feats / f"{split}_features.npy")
    y = np.load(labels).astype(int).ravel()
    w = graph(x)
    deg, lam, v = eigen(w)
    v = v[:, :K]
    ind = np.eye(y.max() + 1)[y]
    emb = [
        np.load(run / f"seed-{s}/test_embedding.npy")
        if split == "test"
        else np.load(train_emb / f"train-{s}.npy")
        for s in seeds
    ]
    r = {
        "n": len(x),
        "eigenvalues": lam[: K + 2].tolist(),
        "degree_cv": float(deg.std() / deg.mean()),
        "indicators_d_g": d_g(ind, v),
        "sqrt_degree_indicators_d_g": d_g(ind * np.sqrt(deg)[:, None], v),
        "network_d_g": [d_g(e, v) for e in emb],
    }
    if split == "test":
        r["toolkit_analytic_vs_numpy_d_g"] = d_g(np.load(run / "analytic_test_embedding.npy"), v)
        for k in (25, 13):
            _, _, vk = eigen(graph(x, k=k))
            r[f"network_d_g_k{k}"] = [d_g(e, vk[:, :K]) for e in emb]
    result[split] = r
    print(split, json.dumps({a: b for a, b in r.items() if a != "eigenvalues"}))
tmp = Path(out).with_suffix(".tmp")
tmp.write_text(json.dumps(result, indent=2) + "\n")
tmp.replace(out)
print("wrote", out)
