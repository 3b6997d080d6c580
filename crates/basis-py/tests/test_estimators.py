"""Behaviour of the estimators beyond scikit-learn's checks: round trips with the `basis`
command, determinism, typed errors on bad input, and AnalyticEmbedding against scikit-learn."""

import pickle
import subprocess
import time

import numpy as np
import pytest
import scipy.linalg
from sklearn.datasets import load_digits
from sklearn.manifold import SpectralEmbedding
from sklearn.preprocessing import StandardScaler

import basis

SMALL = dict(n_components=3, n_neighbors=10, batch_size=128, n_iter=40, random_state=0)


@pytest.fixture(scope="module")
def blobs():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(3, 5)) * 6
    y = np.repeat(np.arange(3), 100)
    X = centres[y] + rng.normal(size=(300, 5))
    return X, y


def test_python_fit_then_basis_embed_gives_the_same_numbers(tmp_path, blobs, basis_bin):
    X, _ = blobs
    est = basis.BASiS(anchors="uniform", **SMALL).fit(X)
    est.save(tmp_path / "model")
    np.save(tmp_path / "x.npy", X)
    subprocess.run(
        [basis_bin, "embed", "--model", str(tmp_path / "model"), "--input",
         str(tmp_path / "x.npy"), "--out", str(tmp_path / "y.npy")],
        check=True, capture_output=True,
    )
    np.testing.assert_array_equal(np.load(tmp_path / "y.npy"), est.transform(X))


def test_basis_fit_then_python_transform_gives_the_same_numbers(tmp_path, blobs, basis_bin):
    X, _ = blobs
    np.save(tmp_path / "x.npy", X)
    subprocess.run(
        [basis_bin, "fit", "--method", "spectralnet", "--input", str(tmp_path / "x.npy"),
         "--out", str(tmp_path / "fit"), "--k", "3", "--neighbors", "10",
         "--batch-size", "128", "--iterations", "40", "--no-progress"],
        check=True, capture_output=True,
    )
    est = basis.load(tmp_path / "fit")
    assert isinstance(est, basis.SpectralNet)
    np.testing.assert_array_equal(
        est.transform(X), np.load(tmp_path / "fit" / "train_embedding.npy")
    )


@pytest.mark.parametrize("cls", [basis.BASiS, basis.SpectralNet, basis.NeuralEF])
def test_the_same_seed_gives_identical_output_and_another_seed_another(cls, blobs):
    X, _ = blobs
    extra = {"anchors": "uniform"} if cls is basis.BASiS else {}
    a = cls(**SMALL, **extra).fit_transform(X)
    b = cls(**SMALL, **extra).fit_transform(X)
    c = cls(**{**SMALL, "random_state": 1}, **extra).fit_transform(X)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_a_pickled_model_transforms_as_before(blobs):
    X, _ = blobs
    est = basis.SpecNet2(**SMALL).fit(X)
    back = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(back.transform(X), est.transform(X))


def test_per_class_anchors_use_the_labels_and_need_them(blobs):
    X, y = blobs
    Y = basis.BASiS(anchors="per-class", **SMALL).fit(X, y).transform(X)
    assert Y.shape == (300, 3)
    with pytest.raises(ValueError, match="per-class"):
        basis.BASiS(anchors="per-class", **SMALL).fit(X)


@pytest.mark.parametrize(
    "X, message",
    [
        (np.full((20, 3), np.nan), "NaN"),
        (np.array([[np.inf, 1.0]] * 20), "infinity"),
        (np.zeros((0, 3)), "0 sample"),
        (np.zeros(10), "2D array"),
    ],
)
def test_bad_input_is_a_value_error_not_a_crash(X, message):
    for est in (basis.BASiS(**SMALL), basis.AnalyticEmbedding()):
        with pytest.raises(ValueError, match=message):
            est.fit(X)


def test_bad_settings_are_value_errors(blobs):
    X, _ = blobs
    with pytest.raises(ValueError, match="n_neighbors=300"):
        basis.AnalyticEmbedding(n_neighbors=300).fit(X)
    with pytest.raises(ValueError, match="laplacian"):
        basis.SpectralNet(laplacian="random-walk", **{k: v for k, v in SMALL.items()}).fit(X)
    with pytest.raises(ValueError, match="n_components"):
        basis.BASiS(**{**SMALL, "n_components": 0}).fit(X)
    est = basis.SpectralNet(**SMALL).fit(X)
    with pytest.raises(ValueError, match="features"):
        est.transform(X[:, :4])
    with pytest.raises(ValueError, match="not written by"):
        basis.load("/nonexistent-model-dir")


def test_building_blocks_agree_with_closed_forms_and_scipy(blobs):
    X, y = blobs
    W = basis.graph.knn_graph(X, n_neighbors=10)
    assert W.shape == (300, 300) and abs(W - W.T).max() == 0 and W.diagonal().max() == 0
    L = basis.graph.laplacian(W, "normalized").toarray()
    d = np.asarray(W.sum(axis=1)).ravel()
    expected = np.eye(300) - W.toarray() / np.sqrt(np.outer(d, d))
    np.testing.assert_allclose(L, expected, atol=1e-12)
    assert basis.metrics.nmi(y, y) == pytest.approx(1.0)
    assert basis.metrics.clustering_accuracy(y, (y + 1) % 3) == pytest.approx(1.0)
    Q = np.linalg.qr(np.random.default_rng(1).normal(size=(300, 3)))[0]
    assert basis.metrics.grassmann_distance(Q, Q @ np.diag([2.0, -1.0, 3.0])) < 1e-10
    assert basis.metrics.orthogonality(Q) < 1e-10


def test_analytic_embedding_matches_scikit_learn_on_the_same_graph():
    """Our solver against scikit-learn's on load_digits' kNN graph (ours, passed to
    SpectralEmbedding as a precomputed affinity): the same leading eigenspace, compared
    direction by direction where the eigenvalues are separated."""
    X = StandardScaler().fit_transform(load_digits().data)
    k = 8
    ours = basis.AnalyticEmbedding(n_components=k, n_neighbors=10, drop_first=False,
                                   random_state=0)
    t = time.perf_counter()
    E = ours.fit_transform(X)
    t_ours = time.perf_counter() - t
    W = basis.graph.knn_graph(X, n_neighbors=10)
    t = time.perf_counter()
    S = SpectralEmbedding(n_components=k, affinity="precomputed", random_state=0,
                          eigen_solver="arpack").fit_transform(W)
    t_sklearn = time.perf_counter() - t
    # scikit-learn drops the trivial vector and returns D^{-1/2} v (the random-walk
    # eigenvectors): its column i is L_N's eigenvector i + 1 scaled row-wise.
    S = S * np.sqrt(np.asarray(W.sum(axis=1)).ravel())[:, None]
    # Exact reference: the dense eigenvectors of L_N.
    L = basis.graph.laplacian(W).toarray()
    values, vectors = scipy.linalg.eigh(L, subset_by_index=[0, k])
    np.testing.assert_allclose(ours.eigenvalues_, values[:k], atol=1e-8)
    gap = np.diff(values)
    separated = [j for j in range(1, k) if min(gap[j - 1], gap[j]) > 1e-3]
    assert len(separated) >= 3, values
    for j in separated:
        for name, other in (("ours", E[:, j]), ("scikit-learn", S[:, j - 1])):
            cos = abs(other @ vectors[:, j]) / np.linalg.norm(other)
            assert cos**2 >= 0.99, (name, j, cos**2)
    print(f"\nload_digits, K = {k}: ours {t_ours:.3f} s, scikit-learn {t_sklearn:.3f} s")
