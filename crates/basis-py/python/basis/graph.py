"""Graph building blocks: the kNN affinity and its Laplacian as ``scipy.sparse`` matrices."""

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_array

from . import _core


def _csr(parts):
    data, indices, indptr, n = parts
    return sp.csr_matrix((data, indices, indptr), shape=(n, n))


def knn_graph(X, n_neighbors=50):
    """Symmetric kNN affinity of the rows of ``X``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Points, finite.
    n_neighbors : int, default=50
        Neighbours per point (exact search); must be below ``n_samples``.

    Returns
    -------
    W : scipy.sparse.csr_matrix of shape (n_samples, n_samples)
        Self-tuning Gaussian weights (scale: each point's 7th-neighbour distance),
        max-symmetrised, zero diagonal.
    """
    X = check_array(X, dtype=np.float64)
    return _csr(_core.knn_affinity_csr(X, int(n_neighbors)))


def laplacian(W, kind="normalized"):
    """Laplacian of a symmetric affinity.

    Parameters
    ----------
    W : scipy.sparse matrix of shape (n, n)
        Symmetric, non-negative affinity.
    kind : {"normalized", "unnormalized"}, default="normalized"
        ``L_N = I - D^{-1/2} W D^{-1/2}`` (Eq. 4) or ``L = D - W`` (Eq. 2).

    Returns
    -------
    L : scipy.sparse.csr_matrix of shape (n, n)
    """
    W = sp.csr_matrix(W, dtype=np.float64)
    W.sort_indices()
    n = W.shape[0]
    if W.shape != (n, n):
        raise ValueError(f"W must be square, got shape {W.shape}")
    return _csr(
        _core.laplacian_of_csr(
            W.data, W.indices.astype(np.int64), W.indptr.astype(np.int64), n, kind
        )
    )
