#!/usr/bin/env python3
"""The reference side of `cargo xtask sweep spectral`.

    python3 scripts/bench_scipy_spectral.py target/spectral-sweep

Reads DIR/report.json (written by `basis sweep spectral`) and, for every data set in it:

- loads our affinity W (CSR arrays STEM_indptr/indices/data.npy) and times scipy's ARPACK
  `eigsh` on I + D^{-1/2} W D^{-1/2} (which='LA', K pairs) at tol=0 and tol=1e-6, and
  `lobpcg` (largest, tol=1e-5) — the same graph our Lanczos solved;
- times the whole scikit-learn + scipy pipeline on the same features (STEM_x.npy):
  NearestNeighbors(algorithm="brute").kneighbors(), the same Gaussian affinity
  (sigma = median k-th neighbour distance, exp(-d^2 / (2 sigma^2)), max-symmetrised),
  then eigsh at tol=1e-6;
- reports, for each, the largest residual ||L_N v - lambda v|| and the largest sine of the
  principal angles between its eigenvectors and ours (STEM_ours.npy);
- scores our exported eigenvectors with its own L_N (Rayleigh quotients and residuals).

Writes DIR/scipy.json. Tooling only: nothing in the toolkit needs Python.
"""
import json
import os
import sys
import tempfile
import time

import numpy as np
import scipy
import scipy.sparse as sp
import sklearn
from scipy.sparse.linalg import LinearOperator, eigsh, lobpcg
from sklearn.neighbors import NearestNeighbors


def status_kib(field):
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def peak_start():
    """Resets the resident high-water mark (Linux clear_refs 5), as the Rust side does."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return None
    return status_kib("VmRSS:")


def peak_above(start_kib):
    """Bytes the peak rose above the resident size at peak_start(), or None."""
    hwm = status_kib("VmHWM:")
    if start_kib is None or hwm is None:
        return None
    return max(hwm - start_kib, 0) * 1024


def load_w(out_dir, stem):
    ld = lambda name: np.load(os.path.join(out_dir, f"{stem}_{name}.npy")).ravel()
    indptr = ld("indptr").astype(np.int64)
    indices = ld("indices").astype(np.int64)
    data = ld("data")
    n = indptr.size - 1
    return sp.csr_matrix((data, indices, indptr), shape=(n, n))


def sym_operator(w):
    d = np.asarray(w.sum(axis=1)).ravel()
    s = 1.0 / np.sqrt(d)
    dinv = sp.diags(s)
    sym = (dinv @ w @ dinv).tocsr()
    return sym


def residual(sym, vecs, lam):
    # L_N = I - S; lam are eigenvalues of L_N.
    lv = vecs - sym @ vecs
    return float(np.max(np.linalg.norm(lv - vecs * lam, axis=0)))


def max_sine(a, b):
    qa, _ = np.linalg.qr(a)
    qb, _ = np.linalg.qr(b)
    s = np.linalg.svd(qa.T @ qb, compute_uv=False)
    return float(np.sqrt(max(0.0, 1.0 - np.min(s) ** 2)))


def solve_eigsh(sym, k, tol, seed):
    n = sym.shape[0]
    a = (sp.identity(n, format="csr") + sym).tocsr()
    v0 = np.random.default_rng(seed).uniform(-1, 1, n)
    t = time.perf_counter()
    theta, vecs = eigsh(a, k=k, which="LA", tol=tol, v0=v0)
    seconds = time.perf_counter() - t
    return seconds, 2.0 - theta, vecs


def count_eigsh_products(sym, k, tol, seed):
    """Operator products ARPACK takes for the same solve (same start vector), counted
    in a second, untimed run through a LinearOperator."""
    n = sym.shape[0]
    a = (sp.identity(n, format="csr") + sym).tocsr()
    count = [0]

    def matvec(x):
        count[0] += 1
        return a @ x

    op = LinearOperator((n, n), matvec=matvec, dtype=np.float64)
    v0 = np.random.default_rng(seed).uniform(-1, 1, n)
    eigsh(op, k=k, which="LA", tol=tol, v0=v0)
    return count[0]


def main(out_dir):
    with open(os.path.join(out_dir, "report.json")) as f:
        report = json.load(f)
    cfg = report["config"]
    k = cfg["eigenpairs"]
    knn_k = cfg["k_neighbors"]
    rows = []
    for row in report["rows"]:
        stem = row["stem"]
        ours = np.load(os.path.join(out_dir, f"{stem}_ours.npy"))
        w = load_w(out_dir, stem)
        sym = sym_operator(w)
        # Our exported vectors, scored here: Rayleigh quotients and residuals of L_N = I - S.
        lam_ours = np.einsum("ij,ij->j", ours, ours - sym @ ours)
        r = {"stem": stem, "method": "ours re-scored", "seconds": 0.0,
             "max_residual": residual(sym, ours, lam_ours), "max_sine_vs_ours": 0.0}
        print(f"{stem} ours re-scored: residual {r['max_residual']:.1e}", file=sys.stderr)
        rows.append(r)
        for tol, name in [(0.0, "eigsh tol=0"), (1e-6, "eigsh tol=1e-6")]:
            seconds, lam, vecs = solve_eigsh(sym, k, tol, cfg["seed"])
            r = {"stem": stem, "method": name, "seconds": seconds,
                 "max_residual": residual(sym, vecs, lam), "max_sine_vs_ours": max_sine(vecs, ours),
                 "products": count_eigsh_products(sym, k, tol, cfg["seed"])}
            print(f"{stem} {name}: {seconds:.3f} s, residual {r['max_residual']:.1e}, "
                  f"sin vs ours {r['max_sine_vs_ours']:.1e}", file=sys.stderr)
            rows.append(r)
        n = w.shape[0]
        x0 = np.random.default_rng(cfg["seed"]).uniform(-1, 1, (n, k))
        a = (sp.identity(n, format="csr") + sym).tocsr()
        t = time.perf_counter()
        theta, vecs = lobpcg(a, x0, tol=1e-5, maxiter=1000, largest=True)
        seconds = time.perf_counter() - t
        r = {"stem": stem, "method": "lobpcg tol=1e-5", "seconds": seconds,
             "max_residual": residual(sym, vecs, 2.0 - theta), "max_sine_vs_ours": max_sine(vecs, ours)}
        print(f"{stem} lobpcg: {seconds:.3f} s, residual {r['max_residual']:.1e}", file=sys.stderr)
        rows.append(r)

        # The whole pipeline on the same features.
        x = np.load(os.path.join(out_dir, f"{stem}_x.npy"))
        probe = peak_start()
        t = time.perf_counter()
        dist, idx = NearestNeighbors(n_neighbors=knn_k, algorithm="brute").fit(x).kneighbors()
        knn_seconds = time.perf_counter() - t
        sigma = np.median(dist[:, -1])
        wv = np.exp(-(dist.ravel() ** 2) / (2.0 * sigma * sigma))
        w2 = sp.csr_matrix((wv, idx.ravel(), np.arange(0, n * knn_k + 1, knn_k)), shape=(n, n))
        w2 = w2.maximum(w2.T).tocsr()
        sym2 = sym_operator(w2)
        a2 = (sp.identity(n, format="csr") + sym2).tocsr()
        v0 = np.random.default_rng(cfg["seed"]).uniform(-1, 1, n)
        theta, vecs = eigsh(a2, k=k, which="LA", tol=1e-6, v0=v0)
        seconds = time.perf_counter() - t
        peak = peak_above(probe)
        r = {"stem": stem, "method": "pipeline", "seconds": seconds, "peak_bytes": peak,
             "max_residual": residual(sym2, vecs, 2.0 - theta),
             "max_sine_vs_ours": max_sine(vecs, ours), "knn_seconds": knn_seconds}
        print(f"{stem} pipeline: {seconds:.2f} s (kNN {knn_seconds:.2f} s)", file=sys.stderr)
        rows.append(r)
    out = {
        "versions": {"scikit-learn": sklearn.__version__, "numpy": np.__version__,
                     "scipy": scipy.__version__},
        "rows": rows,
    }
    fd, tmp = tempfile.mkstemp(dir=out_dir, suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        json.dump(out, f, indent=2)
    os.replace(tmp, os.path.join(out_dir, "scipy.json"))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "target/spectral-sweep")
