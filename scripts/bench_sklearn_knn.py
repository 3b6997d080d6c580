#!/usr/bin/env python3
"""Times scikit-learn's brute-force NearestNeighbors on the files `basis sweep graph` wrote.

    python3 scripts/bench_sklearn_knn.py target/graph-sweep

Reads DIR/report.json (which data files, which k), fits NearestNeighbors(algorithm="brute")
and queries every training point for its k nearest other points (`kneighbors()` without X
excludes the point itself), and writes DIR/sklearn.json with the wall-clock seconds and the
fraction of our exact neighbours that scikit-learn also returns. Run by `cargo xtask sweep
graph` right after the Rust side, so both are measured in one run on the same machine.
Tooling only: nothing in the toolkit needs Python.
"""
import json
import os
import sys
import tempfile
import time

import numpy as np
import scipy
import sklearn
from sklearn.neighbors import NearestNeighbors


def main(out_dir):
    with open(os.path.join(out_dir, "report.json")) as f:
        report = json.load(f)
    k = report["config"]["exact"]["k"]
    rows = []
    for row in report["knn"]:
        x = np.load(os.path.join(out_dir, row["data_file"]))
        ours = np.load(os.path.join(out_dir, row["indices_file"])).astype(np.int64)
        t = time.perf_counter()
        nn = NearestNeighbors(n_neighbors=k, algorithm="brute").fit(x)
        _, idx = nn.kneighbors()
        seconds = time.perf_counter() - t
        agree = np.mean([len(np.intersect1d(a, b)) for a, b in zip(idx, ours)]) / k
        print(f"scikit-learn brute {k}-NN of {x.shape[0]} x {x.shape[1]}: {seconds:.2f} s, "
              f"agreement with ours {agree:.5f}", file=sys.stderr)
        rows.append({"data_file": row["data_file"], "seconds": seconds, "agreement": float(agree)})
    out = {
        "versions": {"scikit-learn": sklearn.__version__, "numpy": np.__version__,
                     "scipy": scipy.__version__},
        "rows": rows,
    }
    fd, tmp = tempfile.mkstemp(dir=out_dir, suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        json.dump(out, f, indent=2)
    os.replace(tmp, os.path.join(out_dir, "sklearn.json"))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "target/graph-sweep")
