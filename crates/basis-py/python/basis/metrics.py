"""The paper's metrics (Sec. 5): Grassmann distance, orthogonality, NMI, clustering accuracy."""

import numpy as np
from sklearn.utils import check_array

from . import _core


def _labels(y, name):
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {y.shape}")
    _, codes = np.unique(y, return_inverse=True)
    return codes.astype(np.int64)


def grassmann_distance(A, B):
    """d_G (Eq. 16): the sum of sin^2 of the principal angles between the column spans of A, B.

    Parameters
    ----------
    A, B : array-like of shape (n_samples, k)

    Returns
    -------
    float
        0 for the same span, k for orthogonal spans.
    """
    return _core.grassmann_distance(
        check_array(A, dtype=np.float64), check_array(B, dtype=np.float64)
    )


def orthogonality(Y):
    """d_perp (Eq. 17): ``||Y^T Y - I||_F`` of ``Y`` with unit-norm columns."""
    return _core.orthogonality(check_array(Y, dtype=np.float64))


def nmi(labels_true, labels_pred, normalization="max"):
    """Normalised mutual information.

    Parameters
    ----------
    labels_true, labels_pred : array-like of shape (n_samples,)
    normalization : {"max", "arithmetic"}, default="max"
        ``I / max(H, H')`` as the BASiS paper (Eq. 18), or scikit-learn's arithmetic mean.
    """
    if normalization not in ("max", "arithmetic"):
        raise ValueError(f"normalization must be 'max' or 'arithmetic', got {normalization!r}")
    return _core.nmi(
        _labels(labels_true, "labels_true"),
        _labels(labels_pred, "labels_pred"),
        normalization == "arithmetic",
    )


def clustering_accuracy(labels_true, labels_pred):
    """Accuracy under the best one-to-one matching of clusters to classes (Hungarian)."""
    return _core.clustering_accuracy(
        _labels(labels_true, "labels_true"), _labels(labels_pred, "labels_pred")
    )
