"""scikit-learn's own estimator checks on every estimator, at tiny settings."""

from sklearn.utils.estimator_checks import parametrize_with_checks

import basis

TINY = dict(n_components=2, n_neighbors=7, batch_size=16, n_iter=5, random_state=0)

ESTIMATORS = [
    basis.BASiS(anchors="uniform", n_anchors_per_class=4, ransac=False, **TINY),
    basis.SpectralNet(**TINY),
    basis.SpecNet2(**TINY),
    basis.DiffusionNet(**TINY),
    basis.NeuralEF(**TINY),
    basis.AnalyticEmbedding(n_components=2, n_neighbors=7, random_state=0),
]


# Checks that cannot hold for these estimators, with the reason (docs/python.md lists them).
EXPECTED_FAILURES = {
    "check_methods_subset_invariance": (
        "the networks compute in float32: libtorch's summation order depends on the batch's "
        "row count, so a row's output moves in its last bits (2e-7 relative seen) between a "
        "subset and the whole set; the check allows 1e-7"
    ),
}


def expected_failures(estimator):
    if isinstance(estimator, basis.AnalyticEmbedding):
        return {}
    return EXPECTED_FAILURES


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failures)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
