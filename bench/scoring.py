"""Scoring detected EMG onsets against ground truth: evaluation only, shared by the benchmarks and the tests.

Kept out of ``src``: the app never scores itself. Benchmarks run as scripts import it as ``scoring``
(their folder is on the path); tests import it as ``bench.scoring`` (pytest puts the repository root on the path).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def onset_f1(detected: npt.ArrayLike, truth: npt.ArrayLike, tolerance_s: float = 0.05) -> tuple[float, float, float]:
    """(F1, precision, recall) of onset times matched one-to-one within ±``tolerance_s`` (greedy by time).

    Example
    -------
    >>> onset_f1([1.0, 2.02, 5.0], [1.0, 2.0, 3.0])
    (0.6666666666666666, 0.6666666666666666, 0.6666666666666666)
    """
    d = np.sort(np.asarray(detected, dtype=np.float64))
    t = np.sort(np.asarray(truth, dtype=np.float64))
    if d.size == 0 and t.size == 0:
        return 1.0, 1.0, 1.0
    used = np.zeros(d.size, dtype=bool)
    tp = 0
    for onset in t:
        if d.size == 0:
            break
        j = int(np.searchsorted(d, onset - tolerance_s))
        while j < d.size and d[j] <= onset + tolerance_s:
            if not used[j]:
                used[j] = True
                tp += 1
                break
            j += 1
    precision = tp / d.size if d.size else 0.0
    recall = tp / t.size if t.size else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return f1, precision, recall
