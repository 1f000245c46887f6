"""Array types and small mask helpers shared by the dsp modules."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def true_runs(mask: BoolArray) -> list[tuple[int, int]]:
    """[start, stop) index pairs of True runs."""
    if mask.size == 0:
        return []
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    starts = np.flatnonzero(d == 1)
    stops = np.flatnonzero(d == -1)
    return list(zip(starts.tolist(), stops.tolist(), strict=True))


def block_view(x: FloatArray, n: int) -> FloatArray:
    nblocks = x.size // n
    return x[: nblocks * n].reshape(nblocks, n)
