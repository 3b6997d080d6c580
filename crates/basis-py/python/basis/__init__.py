"""Learned spectral graph embeddings on a Rust core (distribution ``basis-toolkit``).

Estimators in scikit-learn's conventions -- :class:`BASiS`, :class:`SpectralNet`,
:class:`SpecNet2`, :class:`DiffusionNet`, :class:`NeuralEF` (out of sample: ``transform`` on new
points) and :class:`AnalyticEmbedding` (the whole graph's eigenvectors, like
``sklearn.manifold.SpectralEmbedding``) -- and the building blocks :mod:`basis.graph` and
:mod:`basis.metrics`. A model saved with ``save(path)`` has the layout ``basis fit`` writes, and
:func:`load` opens either.
"""

import os

# libtorch's OpenMP threads spin 300,000 rounds after each parallel region unless told
# otherwise; the `basis` binary runs with 3,000 (docs/benchmarks.md, "GOMP_SPINCOUNT"). libgomp
# reads the variable once, when the Rust core loads it, so it is set here first; a value
# already in the environment wins.
os.environ.setdefault("GOMP_SPINCOUNT", "3000")

try:
    from . import _core
except ImportError as e:  # pragma: no cover - depends on the machine
    raise ImportError(
        "basis could not load its Rust core; it needs libtorch 2.13 (run `cargo xtask setup` "
        "in the toolkit's checkout, which puts it in ~/.cache/basis-toolkit, then reinstall): "
        f"{e}"
    ) from e

from . import graph, metrics
from ._estimators import (
    BASiS,
    AnalyticEmbedding,
    DiffusionNet,
    NeuralEF,
    SpecNet2,
    SpectralNet,
    load,
)

__all__ = [
    "BASiS",
    "SpectralNet",
    "SpecNet2",
    "DiffusionNet",
    "NeuralEF",
    "AnalyticEmbedding",
    "load",
    "graph",
    "metrics",
]
__version__ = "0.1.0"
