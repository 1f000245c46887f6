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
    edges = (mask[1:] != mask[:-1]).nonzero()[0] + 1
    # runs alternate: the first edge is a start unless the mask starts True
    bounds = [0, *edges.tolist(), mask.size] if mask[0] else [*edges.tolist(), mask.size]
    return list(zip(bounds[::2], bounds[1::2], strict=False))  # a last unpaired bound (the end) is dropped


def block_view(x: FloatArray, n: int) -> FloatArray:
    nblocks = x.size // n
    return x[: nblocks * n].reshape(nblocks, n)
