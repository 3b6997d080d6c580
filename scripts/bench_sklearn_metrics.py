#!/usr/bin/env python3
"""Times scikit-learn on the data `cargo bench --bench metrics` wrote, for docs/benchmarks.md.

    cargo bench --bench metrics            # writes target/bench-data/metrics_10000x10*.npy
    python3 scripts/bench_sklearn_metrics.py

Needs numpy, scipy and scikit-learn (tooling only; nothing in the toolkit needs Python).
"""
import os
import time

import numpy as np
import scipy.optimize
import sklearn
from sklearn.cluster import KMeans
from sklearn.metrics import normalized_mutual_info_score

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "target", "bench-data")
x = np.load(os.path.join(root, "metrics_10000x10.npy"))
labels = np.load(os.path.join(root, "metrics_10000x10_labels.npy")).ravel().astype(int)


def best_of(f, repeats):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times), float(np.median(times))


km = KMeans(n_clusters=10, n_init=10, random_state=0)
pred = km.fit_predict(x)
print(f"scikit-learn {sklearn.__version__}, numpy {np.__version__}, {os.cpu_count()} cores")
for name, f, r in [
    ("KMeans(n_clusters=10, n_init=10)", lambda: KMeans(n_clusters=10, n_init=10, random_state=0).fit(x), 20),
    ("normalized_mutual_info_score (max)", lambda: normalized_mutual_info_score(labels, pred, average_method="max"), 50),
]:
    best, median = best_of(f, r)
    print(f"{name:40s} best {best * 1e3:8.2f} ms   median {median * 1e3:8.2f} ms")


def acc():
    table = np.zeros((10, 10), dtype=np.int64)
    np.add.at(table, (labels, pred), 1)
    r, c = scipy.optimize.linear_sum_assignment(-table)
    return table[r, c].sum() / len(labels)


best, median = best_of(acc, 50)
print(f"{'ACC (contingency + linear_sum_assignment)':40s} best {best * 1e3:8.2f} ms   median {median * 1e3:8.2f} ms")
