"""Restricted unpickling for the HyperGCN pickles: only the numpy/scipy types they contain.

``pickle.load`` can execute arbitrary code; these files only ever need a handful of
constructors, so every other global is refused with a clear error.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

_ALLOWED = {
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("numpy.core.multiarray", "_reconstruct"): np.ndarray.__reduce__(np.zeros(0))[0],
    ("numpy._core.multiarray", "_reconstruct"): np.ndarray.__reduce__(np.zeros(0))[0],
    ("numpy.core.multiarray", "scalar"): np.int64(0).__reduce__()[0],
    ("numpy._core.multiarray", "scalar"): np.int64(0).__reduce__()[0],
    ("builtins", "set"): set,
    ("__builtin__", "set"): set,
}
_SPARSE = {("scipy.sparse.csr", "csr_matrix"), ("scipy.sparse._csr", "csr_matrix")}  # scipy imported when one is read


class UnsafePickle(pickle.UnpicklingError):
    """The pickle asked for a global outside the allow-list."""


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) in _SPARSE:
            import scipy.sparse

            return scipy.sparse.csr_matrix
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise UnsafePickle(f"refusing to unpickle global {module}.{name}: not an allowed data type") from None


def load_pickle(path: Path):
    """Unpickle ``path`` allowing only plain containers, numpy arrays/scalars and CSR matrices."""
    with open(path, "rb") as handle:
        return _RestrictedUnpickler(handle, encoding="latin1").load()
