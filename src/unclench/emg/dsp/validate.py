"""Checks on what comes in: the sample rate and a single channel of samples (µV)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from unclench.core.errors import UserInputError
from unclench.emg.dsp._arrays import FloatArray

MIN_FS_HZ = 100.0
RECOMMENDED_FS_HZ = 1000.0


def check_fs(fs: float | None, *, field_name: str = "fs") -> float:
    """Return ``fs`` as a float, or raise a clear UserInputError if it is missing or implausible.

    Parameters
    ----------
    fs : float or None
        Sample rate in Hz; 100 Hz (``MIN_FS_HZ``) to 100 kHz is accepted.
    field_name : str
        The name the error message gives the field (e.g. ``--fs``).

    Returns
    -------
    float
        The sample rate in Hz.

    Example
    -------
    >>> check_fs("512")
    512.0
    """
    if fs is None:
        raise UserInputError.single(field_name, "the sample rate is missing: state it in Hz (e.g. --fs 1000)")
    try:
        value = float(fs)
    except (TypeError, ValueError):
        raise UserInputError.single(field_name, f"the sample rate {fs!r} is not a number") from None
    if not np.isfinite(value) or value <= 0:
        raise UserInputError.single(field_name, f"the sample rate must be a positive number of Hz, got {fs!r}")
    if value < MIN_FS_HZ:
        raise UserInputError.single(
            field_name, f"a sample rate of {value:g} Hz is too low for surface EMG (at least {MIN_FS_HZ:g} Hz)"
        )
    if value > 100_000:
        raise UserInputError.single(field_name, f"a sample rate of {value:g} Hz is implausible for surface EMG")
    return value


def check_signal(x: npt.ArrayLike, *, field_name: str = "signal") -> FloatArray:
    """Return a 1-D float64 copy-free view of ``x``; NaN/inf or an empty signal are clear errors.

    Parameters
    ----------
    x : array_like
        One channel of samples (µV).
    field_name : str
        The name the error message gives the field.

    Returns
    -------
    ndarray
        The samples as float64 (µV).

    Example
    -------
    >>> check_signal([1, 2, 3]).dtype
    dtype('float64')
    """
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 1:
        raise UserInputError.single(field_name, f"expected one channel (1-D array), got shape {arr.shape}")
    if arr.size == 0:
        raise UserInputError.single(field_name, "the signal is empty")
    # Two direct ufunc calls: a live 20 ms chunk is checked at every push, where NumPy's per-call cost is the cost.
    finite = np.isfinite(arr)
    if not np.logical_and.reduce(finite):
        bad = ~finite
        first = int(np.argmax(bad))
        raise UserInputError.single(
            field_name,
            f"{int(bad.sum())} sample(s) are NaN or infinite (first at sample {first}); remove or fill them",
        )
    return arr
