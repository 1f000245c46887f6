"""Shared pieces of the audio modules: the float32 signal type, the chunk size and chunked interpolation."""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]

CHUNK: Final = 1 << 20


def upsample_linear(curve: FloatArray, factor: int, n: int) -> FloatArray:
    """Linear interpolation of ``curve`` (one point every ``factor`` samples) to ``n`` samples, in float32."""
    steps = np.arange(factor, dtype=np.float32) / np.float32(factor)
    out = np.empty(n, dtype=np.float32)
    per = max(1, CHUNK // factor)
    for first in range(0, -(-n // factor), per):
        last = min(first + per, -(-n // factor))
        a = curve[first:last]
        b = curve[first + 1 : last + 1]
        if b.size < a.size:
            b = np.concatenate((b, a[-1:]))
        block = (a[:, None] + (b - a)[:, None] * steps[None, :]).ravel()
        start = first * factor
        stop = min(n, start + block.size)
        out[start:stop] = block[: stop - start]
    return out
