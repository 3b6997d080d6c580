#!/usr/bin/env python3
"""basis.AnalyticEmbedding beside sklearn.manifold.SpectralEmbedding, in one Python process.

    python scripts/python_vs_sklearn.py OUT.json [N ...]

(in an environment with the `basis-toolkit` package, e.g. the one `cargo xtask test` creates:
~/.cache/basis-toolkit/python-package-venv/bin/python). For each N (default 10000 60000): the
first N Fashion-MNIST training images (Debian's dataset-fashion-mnist), pixels in [0, 1],
projected to 32 dimensions by a seeded Gaussian matrix. Times, end to end from the features:

- ours: `AnalyticEmbedding(n_components=10, n_neighbors=10, drop_first=True)` (exact kNN,
  self-tuning Gaussian weights, L_N, Lanczos);
- scikit-learn: `SpectralEmbedding(n_components=10, n_neighbors=10)` with its defaults
  (connectivity kNN graph, ARPACK), and the same class on our affinity (`affinity=
  "precomputed"`), so the solvers are compared on one graph.

On the shared graph it reports cos^2 between our eigenvector j and scikit-learn's (rescaled by
sqrt(degree): scikit-learn returns D^{-1/2} v) for the eigenvalues separated from their
neighbours by more than 1e-3 of the smallest gap scale, and for each embedding NMI / ACC of
k-means (10 clusters) against the classes. Writes OUT.json.
"""
import gzip
import json
import os
import platform
import sys
import time

import numpy as np
import scipy
import sklearn
from sklearn.cluster import KMeans
from sklearn.manifold import SpectralEmbedding

import basis

K = 10
NEIGHBORS = 10


def fashion_mnist(n):
    with gzip.open("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz") as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784)[:n] / 255.0
    with gzip.open("/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz") as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8)[:n].astype(int)
    proj = np.random.default_rng(0).normal(size=(784, 32)) / np.sqrt(32)
    return np.ascontiguousarray(x @ proj), y


def scores(emb, y):
    pred = KMeans(10, n_init=10, random_state=0).fit_predict(emb)
    return {"nmi": basis.metrics.nmi(y, pred), "acc": basis.metrics.clustering_accuracy(y, pred)}


def timed(f):
    t = time.perf_counter()
    out = f()
    return out, time.perf_counter() - t


def main(out, sizes):
    rows = []
    for n in sizes:
        x, y = fashion_mnist(n)
        ours = basis.AnalyticEmbedding(n_components=K, n_neighbors=NEIGHBORS, random_state=0)
        e_ours, t_ours = timed(lambda: ours.fit_transform(x))
        sk = SpectralEmbedding(n_components=K, n_neighbors=NEIGHBORS, random_state=0)
        e_sk, t_sk = timed(lambda: sk.fit_transform(x))
        w, t_graph = timed(lambda: basis.graph.knn_graph(x, NEIGHBORS))
        sk_pre = SpectralEmbedding(n_components=K, affinity="precomputed", random_state=0)
        e_pre, t_pre = timed(lambda: sk_pre.fit_transform(w))
        e_pre = e_pre * np.sqrt(np.asarray(w.sum(axis=1)).ravel())[:, None]
        values = ours.eigenvalues_
        gaps = np.diff(values)
        cos2 = []
        for j in range(K):
            left = gaps[j - 1] if j > 0 else np.inf
            right = gaps[j] if j < K - 1 else np.inf
            if min(left, right) > 1e-3:
                a, b = e_ours[:, j], e_pre[:, j]
                cos2.append({"eigenvector": j + 1, "cos2": float((a @ b) ** 2 / (a @ a) / (b @ b))})
        row = {
            "n": n,
            "dim": int(x.shape[1]),
            "ours_seconds": t_ours,
            "sklearn_seconds": t_sk,
            "speedup": t_sk / t_ours,
            "sklearn_on_our_graph_seconds": t_pre,
            "our_graph_seconds": t_graph,
            "eigenvalues": values.tolist(),
            "separated_cos2": cos2,
            "ours": scores(e_ours, y),
            "sklearn": scores(e_sk, y),
        }
        print(json.dumps(row), file=sys.stderr)
        rows.append(row)
    result = {
        "command": "python scripts/python_vs_sklearn.py " + " ".join([out] + [str(s) for s in sizes]),
        "versions": {"scikit-learn": sklearn.__version__, "scipy": scipy.__version__,
                     "numpy": np.__version__, "basis-toolkit": basis.__version__},
        "machine": platform.processor() or platform.machine(),
        "rows": rows,
    }
    with open(out + ".tmp", "w") as f:
        json.dump(result, f, indent=2)
    os.replace(out + ".tmp", out)


if __name__ == "__main__":
    main(sys.argv[1], [int(s) for s in sys.argv[2:]] or [10000, 60000])
