"""The estimators, in scikit-learn's conventions, over the Rust core."""

import json
import os
import tempfile

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from . import _core

_LAPLACIANS = {"normalized": "SymmetricNormalized", "unnormalized": "Unnormalized"}
_ANCHORS = {"per-class": "per-class", "uniform": "uniform", "k-means++": "k-means-plus-plus"}


def _seed(random_state):
    """A 63-bit seed for the Rust core from ``random_state`` (an int is used as it is)."""
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        if random_state < 0:
            raise ValueError(f"random_state must be non-negative, got {random_state}")
        return int(random_state)
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def _check_neighbors(n_neighbors, n_samples):
    if not isinstance(n_neighbors, (int, np.integer)) or n_neighbors < 1:
        raise ValueError(f"n_neighbors must be a positive integer, got {n_neighbors!r}")
    if n_neighbors >= n_samples:
        raise ValueError(
            f"n_neighbors={n_neighbors} must be below the number of points "
            f"(n_samples = {n_samples})"
        )


def _model_files(model):
    """A fitted model as ``{relative path: bytes}`` (the layout ``basis fit`` writes)."""
    with tempfile.TemporaryDirectory() as d:
        model.save(d)
        files = {}
        for root, _, names in os.walk(d):
            for name in names:
                path = os.path.join(root, name)
                with open(path, "rb") as f:
                    files[os.path.relpath(path, d)] = f.read()
        return files


def _model_from_files(files):
    with tempfile.TemporaryDirectory() as d:
        for rel, data in files.items():
            path = os.path.join(d, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
        return _core.load(d)


class _NetworkEmbedding(TransformerMixin, BaseEstimator):
    """Shared body of the out-of-sample estimators (a network trained on graph batches)."""

    _method = None

    def __init__(
        self,
        n_components=10,
        *,
        n_neighbors=50,
        laplacian="normalized",
        batch_size=512,
        n_iter=1000,
        learning_rate=None,
        random_state=None,
        verbose=False,
    ):
        self.n_components = n_components
        self.n_neighbors = n_neighbors
        self.laplacian = laplacian
        self.batch_size = batch_size
        self.n_iter = n_iter
        self.learning_rate = learning_rate
        self.random_state = random_state
        self.verbose = verbose

    def _config(self, n_samples):
        if self.laplacian not in _LAPLACIANS:
            raise ValueError(
                f"laplacian must be 'normalized' or 'unnormalized', got {self.laplacian!r}"
            )
        for name in ("n_components", "batch_size", "n_iter"):
            v = getattr(self, name)
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")
        _check_neighbors(self.n_neighbors, n_samples)
        if self.n_components >= n_samples:
            raise ValueError(
                f"n_components={self.n_components} must be below the number of points "
                f"(n_samples = {n_samples})"
            )
        cfg = json.loads(_core.default_config())
        b = cfg["basis"]
        b["embedding"]["k"] = int(self.n_components)
        b["graph"]["knn"]["k"] = int(self.n_neighbors)
        b["graph"]["laplacian"] = _LAPLACIANS[self.laplacian]
        # A batch holds at most every point.
        b["batch_size"] = int(min(self.batch_size, n_samples))
        b["iterations"] = int(self.n_iter)
        if self.learning_rate is not None:
            lr = float(self.learning_rate)
            b["learning_rate"] = lr
            cfg["baseline"]["learning_rate"] = lr
            cfg["neuralef"]["learning_rate"] = lr
        return cfg

    def _labels(self, y, n_samples, cfg):
        return None

    def fit(self, X, y=None):
        """Train the network on the rows of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training points, finite.
        y : array-like of shape (n_samples,), default=None
            Class labels; used only by :class:`BASiS` with ``anchors="per-class"``.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        X = validate_data(self, X, dtype=np.float64, ensure_min_samples=2)
        cfg = self._config(X.shape[0])
        labels = self._labels(y, X.shape[0], cfg)
        self.model_ = _core.fit(
            self._method,
            X,
            labels,
            json.dumps(cfg),
            _seed(self.random_state),
            bool(self.verbose),
        )
        return self

    def transform(self, X):
        """Embed the rows of ``X`` (points seen in training or new ones).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        Y : ndarray of shape (n_samples, n_components)
        """
        check_is_fitted(self, "model_")
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return self.model_.transform(X)

    def save(self, path):
        """Write the fitted model as ``basis fit --out path`` does (``basis embed`` reads it)."""
        check_is_fitted(self, "model_")
        self.model_.save(os.fspath(path))

    def __getstate__(self):
        state = self.__dict__.copy()
        if "model_" in state:
            state["model_"] = _model_files(state["model_"])
        return state

    def __setstate__(self, state):
        if "model_" in state:
            state["model_"] = _model_from_files(state["model_"])
        self.__dict__.update(state)


class BASiS(_NetworkEmbedding):
    """BASiS: a network trained on batches aligned to a fixed set of anchors (Algorithm 1).

    Every batch holds the anchors and fresh points; its ``n_components`` leading Laplacian
    eigenvectors are aligned onto the anchors' reference coordinates by an affine map (least
    squares inside RANSAC) and the network takes an MSE step toward them.

    Parameters
    ----------
    n_components : int, default=10
        Eigenvectors K (the trivial one included, as the paper's Table 1).
    n_neighbors : int, default=50
        Neighbours of the batch kNN graphs.
    laplacian : {"normalized", "unnormalized"}, default="normalized"
    batch_size : int, default=512
        Points per batch m (anchors included); at most ``n_samples`` is used.
    n_iter : int, default=1000
        Training iterations.
    learning_rate : float, default=None
        Adam's initial learning rate (None: the toolkit's 3e-3 with a cosine decay).
    anchors : {"k-means++", "uniform", "per-class"}, default="k-means++"
        How the anchors are drawn; "per-class" (the paper's) needs ``y`` in ``fit``.
    n_anchors_per_class : int, default=25
        Anchors per class (per-class), or ``n_anchors_per_class * n_components`` in all;
        at most half the batch is used.
    ransac : bool, default=True
        Fit the alignment inside RANSAC (the paper's); False: least squares on all anchors.
    input_noise : float, default=0.0
        Input noise with kernel targets for test points off the training support (ours;
        0 is the paper's Algorithm 1).
    random_state : int, RandomState instance or None, default=None
        Seeds every random choice of the fit.
    verbose : bool, default=False
        Print the loss during training.

    Attributes
    ----------
    model_ : basis._core.Model
        The trained network.
    n_features_in_ : int
        Features seen in ``fit``.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> import basis
    >>> X, y = load_digits(return_X_y=True)
    >>> Y = basis.BASiS(n_iter=300, random_state=0).fit(X).transform(X)  # doctest: +SKIP
    """

    _method = "basis"

    def __init__(
        self,
        n_components=10,
        *,
        n_neighbors=50,
        laplacian="normalized",
        batch_size=512,
        n_iter=1000,
        learning_rate=None,
        anchors="k-means++",
        n_anchors_per_class=25,
        ransac=True,
        input_noise=0.0,
        random_state=None,
        verbose=False,
    ):
        super().__init__(
            n_components,
            n_neighbors=n_neighbors,
            laplacian=laplacian,
            batch_size=batch_size,
            n_iter=n_iter,
            learning_rate=learning_rate,
            random_state=random_state,
            verbose=verbose,
        )
        self.anchors = anchors
        self.n_anchors_per_class = n_anchors_per_class
        self.ransac = ransac
        self.input_noise = input_noise

    def _config(self, n_samples):
        cfg = super()._config(n_samples)
        if self.anchors not in _ANCHORS:
            raise ValueError(
                f"anchors must be one of {sorted(_ANCHORS)}, got {self.anchors!r}"
            )
        cfg["anchor_strategy"] = _ANCHORS[self.anchors]
        m = cfg["basis"]["batch_size"]
        per_class = int(self.n_anchors_per_class)
        if per_class < 1:
            raise ValueError(f"n_anchors_per_class must be positive, got {per_class}")
        # Anchors take at most half the batch, so every batch has fresh points.
        cfg["anchors_per_class"] = max(1, min(per_class, m // (2 * int(self.n_components))))
        cfg["basis"]["input_noise"] = float(self.input_noise)
        if not self.ransac:
            cfg["basis"]["align"]["ransac"] = None
        return cfg

    def _labels(self, y, n_samples, cfg):
        if self.anchors != "per-class":
            return None
        if y is None:
            raise ValueError('anchors="per-class" needs y; use "k-means++" or "uniform"')
        y = np.asarray(y)
        if y.shape != (n_samples,):
            raise ValueError(f"y must have shape ({n_samples},), got {y.shape}")
        _, codes = np.unique(y, return_inverse=True)
        return codes.astype(np.int64)


class SpectralNet(_NetworkEmbedding):
    """SpectralNet (Shaham et al.): outputs orthonormalised per batch, the ratio-cut loss.

    Parameters as :class:`BASiS` (no anchors).
    """

    _method = "spectralnet"


class SpecNet2(_NetworkEmbedding):
    """SpecNet2 (Chen et al.): the orthogonalisation-free loss, then Rayleigh-Ritz.

    Parameters as :class:`BASiS` (no anchors).
    """

    _method = "specnet2"


class DiffusionNet(_NetworkEmbedding):
    """Diffusion Net (Mishne et al.): a network regressed onto one batch's diffusion map.

    Parameters as :class:`BASiS` (no anchors).
    """

    _method = "diffusion-net"


class NeuralEF(_NetworkEmbedding):
    """NeuralEF (Deng et al.): eigenfunctions by a sequence of maximisation problems.

    Parameters as :class:`BASiS` (no anchors).
    """

    _method = "neuralef"


class AnalyticEmbedding(BaseEstimator):
    """The ``n_components`` leading eigenvectors of the kNN graph Laplacian of the data.

    The whole graph, solved once (Lanczos for large graphs): the ground truth the learned
    methods approximate. Like ``sklearn.manifold.SpectralEmbedding`` it has ``fit_transform``
    and no ``transform``.

    Parameters
    ----------
    n_components : int, default=2
        Eigenvectors returned.
    n_neighbors : int, default=10
        Neighbours of the kNN graph (exact search); must be below ``n_samples``.
    laplacian : {"normalized", "unnormalized"}, default="normalized"
    drop_first : bool, default=True
        Drop the trivial eigenvector (as ``SpectralEmbedding``).
    random_state : int, RandomState instance or None, default=None
        Seeds the eigensolver's start vector.

    Attributes
    ----------
    embedding_ : ndarray of shape (n_samples, n_components)
    eigenvalues_ : ndarray of shape (n_components,)
        The Laplacian's eigenvalues of the returned eigenvectors, ascending.
    n_features_in_ : int
    """

    def __init__(
        self, n_components=2, *, n_neighbors=10, laplacian="normalized", drop_first=True,
        random_state=None,
    ):
        self.n_components = n_components
        self.n_neighbors = n_neighbors
        self.laplacian = laplacian
        self.drop_first = drop_first
        self.random_state = random_state

    def fit(self, X, y=None):
        """Compute the embedding of the rows of ``X``; returns ``self``."""
        X = validate_data(self, X, dtype=np.float64, ensure_min_samples=2)
        _check_neighbors(self.n_neighbors, X.shape[0])
        if self.laplacian not in _LAPLACIANS:
            raise ValueError(
                f"laplacian must be 'normalized' or 'unnormalized', got {self.laplacian!r}"
            )
        k = self.n_components
        if not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"n_components must be a positive integer, got {k!r}")
        self.embedding_, self.eigenvalues_ = _core.analytic_embedding(
            X, int(k), int(self.n_neighbors), self.laplacian, bool(self.drop_first),
            _seed(self.random_state),
        )
        return self

    def fit_transform(self, X, y=None):
        """Compute the embedding of the rows of ``X`` and return it."""
        return self.fit(X).embedding_


def load(path):
    """Open a model directory written by ``basis fit`` or an estimator's ``save``.

    Returns an unfitted-looking estimator of the right class holding the model, ready to
    ``transform``.
    """
    model = _core.load(os.fspath(path))
    cls = {
        "basis": BASiS,
        "spectralnet": SpectralNet,
        "specnet2": SpecNet2,
        "diffusion-net": DiffusionNet,
        "neuralef": NeuralEF,
    }[model.method]
    est = cls()
    est.model_ = model
    est.n_features_in_ = model.n_features_in
    return est
