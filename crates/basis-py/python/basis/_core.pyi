"""Type stubs of the Rust core (`crates/basis-py/src/lib.rs`)."""

from typing import Optional, Tuple

import numpy as np
import numpy.typing as npt

_F64 = npt.NDArray[np.float64]
_I64 = npt.NDArray[np.int64]
_Csr = Tuple[_F64, _I64, _I64, int]

def knn_affinity_csr(x: _F64, k: int) -> _Csr: ...
def laplacian_of_csr(data: _F64, indices: _I64, indptr: _I64, n: int, kind: str) -> _Csr: ...
def analytic_embedding(
    x: _F64,
    n_components: int,
    n_neighbors: int,
    laplacian: str,
    drop_trivial: bool,
    seed: int,
) -> Tuple[_F64, _F64]: ...
def grassmann_distance(a: _F64, b: _F64) -> float: ...
def orthogonality(y: _F64) -> float: ...
def nmi(truth: _I64, pred: _I64, arithmetic: bool = False) -> float: ...
def clustering_accuracy(truth: _I64, pred: _I64) -> float: ...
def default_config() -> str: ...
def fit(
    method: str,
    x: _F64,
    y: Optional[_I64],
    config: str,
    seed: int,
    verbose: bool = False,
) -> Model: ...
def load(dir: str) -> Model: ...

class Model:
    """A trained network: `transform` embeds new points, `save` writes `basis fit`'s layout."""

    method: str
    n_features_in: int
    config_json: str
    def transform(self, x: _F64) -> _F64: ...
    def save(self, dir: str) -> None: ...
