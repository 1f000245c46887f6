"""Surface-EMG generators with ground truth: bursts of varied strength on a low resting tone,
mains hum with harmonics, baseline wander and motion spikes (``simulate_emg``); brief twitches on a
fluctuating tonic background (``simulate_twitches``); heartbeat (ECG) contamination (``synthetic_ecg``)
and an electrode coming off (``electrode_off``). Units: µV, seconds, Hz.

Example
-------
>>> sim = simulate_emg(30, 1000, seed=0)
>>> sim.signal.shape, sim.bursts.shape[1]
((30000,), 2)
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import signal as sps

from unclench.emg.dsp import check_fs

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class SimulatedEmg:
    signal: FloatArray  # raw µV, as an amplifier would deliver it
    fs: float
    bursts: FloatArray  # (n, 2) true onset/offset in seconds
    strengths_uv: FloatArray  # RMS of the muscle activity added by each burst
    motion: FloatArray  # (m, 2) start/end of motion spikes in seconds
    rest_uv: float  # RMS of the resting tone
    mains_hz: float | None

    @property
    def onsets(self) -> FloatArray:
        return self.bursts[:, 0] if self.bursts.size else np.zeros(0)


def _emg_noise(rng: np.random.Generator, n: int, fs: float) -> FloatArray:
    """Unit-RMS noise with a surface-EMG-like spectrum (energy mostly 30–200 Hz)."""
    white = rng.standard_normal(n + int(fs))
    high = min(250.0, 0.45 * fs)
    sos = sps.butter(2, [30.0, high], btype="bandpass", fs=fs, output="sos")
    y = sps.sosfilt(sos, white)[int(fs) :]
    return np.asarray(y / np.std(y), dtype=np.float64)


def simulate_emg(
    duration_s: float,
    fs: float,
    *,
    seed: int | None = 0,
    rest_uv: float = 3.0,
    burst_rate_per_min: float = 10.0,
    strength_range: tuple[float, float] = (3.0, 60.0),
    duration_range_s: tuple[float, float] = (0.25, 2.5),
    min_gap_s: float = 1.5,
    mains_hz: float | None = 50.0,
    mains_uv: float = 15.0,
    wander_uv: float = 60.0,
    motion_per_min: float = 1.0,
    motion_uv: float = 400.0,
    first_burst_after_s: float = 1.0,
) -> SimulatedEmg:
    """Simulate one raw channel.

    Bursts: strength (RMS added, as multiples of ``rest_uv``) log-uniform in ``strength_range``,
    duration uniform in ``duration_range_s``, 15–40 ms raised-cosine ramps, a slowly fluctuating
    plateau, at least ``min_gap_s`` apart. Mains hum: ``mains_uv`` at the fundamental plus a third
    harmonic at 40 %. Wander: sum of three sines under 0.5 Hz. Motion spikes: 70–250 ms biphasic
    transients of ~``motion_uv`` placed in rest, recorded in ``motion``. The first burst starts
    after ``first_burst_after_s`` (leave room for a calibration rest period).
    """
    fs = check_fs(fs)
    rng = np.random.default_rng(seed)
    n = round(duration_s * fs)
    t = np.arange(n) / fs
    amp = np.full(n, rest_uv)

    # place bursts and motion spikes sequentially with random gaps
    mean_gap = 60.0 / burst_rate_per_min
    events: list[tuple[float, float]] = []
    cursor = first_burst_after_s + rng.uniform(0.0, 2.0)
    while True:
        dur = rng.uniform(*duration_range_s)
        if cursor + dur > duration_s - 1.0:
            break
        events.append((cursor, cursor + dur))
        cursor += dur + max(min_gap_s, rng.exponential(mean_gap - np.mean(duration_range_s)) + min_gap_s / 2)
    bursts = np.asarray(events, dtype=np.float64).reshape(-1, 2)
    lo, hi = np.log(strength_range[0]), np.log(strength_range[1])
    strengths = np.exp(rng.uniform(lo, hi, size=len(bursts))) * rest_uv
    for (on, off), a in zip(bursts, strengths, strict=True):
        i0, i1 = round(on * fs), round(off * fs)
        m = i1 - i0
        up = max(2, int(rng.uniform(0.015, 0.04) * fs))
        down = max(2, int(rng.uniform(0.015, 0.04) * fs))
        shape = np.ones(m)
        shape[:up] = 0.5 - 0.5 * np.cos(np.pi * np.arange(up) / up)
        shape[m - down :] = 0.5 + 0.5 * np.cos(np.pi * np.arange(down) / down)
        wobble = 1.0 + 0.25 * np.sin(2 * np.pi * rng.uniform(0.5, 2.0) * np.arange(m) / fs + rng.uniform(0, 6.28))
        added = a * shape * wobble
        amp[i0:i1] = np.sqrt(amp[i0:i1] ** 2 + added**2)

    x = amp * _emg_noise(rng, n, fs)

    # motion spikes in the rest gaps
    motion: list[tuple[float, float]] = []
    n_motion = rng.poisson(motion_per_min * duration_s / 60.0)
    gaps = [(a[1] + 0.5, b[0] - 0.5) for a, b in itertools.pairwise(bursts) if b[0] - a[1] > 1.5]
    for _ in range(n_motion):
        if not gaps:
            break
        g0, g1 = gaps[rng.integers(len(gaps))]
        dur = rng.uniform(0.07, 0.25)
        if g1 - g0 <= dur:
            continue
        start = rng.uniform(g0, g1 - dur)
        i0 = int(start * fs)
        m = int(dur * fs)
        sign = rng.choice([-1.0, 1.0])
        x[i0 : i0 + m] += sign * motion_uv * rng.uniform(0.5, 1.5) * np.sin(2 * np.pi * np.arange(m) / m)
        motion.append((start, start + dur))

    if mains_hz is not None and mains_hz < fs / 2:
        phase = rng.uniform(0, 2 * np.pi)
        x += mains_uv * np.sin(2 * np.pi * mains_hz * t + phase)
        if 3 * mains_hz < fs / 2:
            x += 0.4 * mains_uv * np.sin(2 * np.pi * 3 * mains_hz * t + 2 * phase)
    for f in rng.uniform(0.05, 0.5, size=3):
        x += wander_uv / 3 * np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi))

    return SimulatedEmg(
        signal=x,
        fs=fs,
        bursts=bursts,
        strengths_uv=strengths,
        motion=np.asarray(motion, dtype=np.float64).reshape(-1, 2),
        rest_uv=rest_uv,
        mains_hz=mains_hz,
    )


def neurokit_truth(
    duration_s: float, fs: float, *, burst_number: int, burst_duration: float, seed: int
) -> tuple[FloatArray, FloatArray]:
    """NeuroKit2's ``emg_simulate`` signal (mV → µV) and its true burst onsets.

    NeuroKit2 lays out ``burst_number`` bursts of ``burst_duration`` s with equal quiet stretches
    between them (its ``emg_simulate`` code: quiet = (duration − bursts·burst_duration)/(bursts+1));
    this reproduces those onsets. Requires the dev dependency neurokit2.
    """
    import neurokit2 as nk  # dev dependency, used only for comparison

    x = np.asarray(
        nk.emg_simulate(
            duration=duration_s,
            sampling_rate=int(fs),
            burst_number=burst_number,
            burst_duration=burst_duration,
            random_state=seed,
        ),
        dtype=np.float64,
    )
    # NeuroKit2 builds the signal at 1000 Hz with whole-sample stretches, then resamples to fs.
    quiet_n = int(1000 * (duration_s - burst_number * burst_duration) / (burst_number + 1))
    burst_n = int(1000 * burst_duration)
    total_n = quiet_n * (burst_number + 1) + burst_n * burst_number
    scale = duration_s / total_n  # seconds per 1000 Hz sample after resampling to the requested length
    onsets = np.array([(quiet_n * (i + 1) + burst_n * i) * scale for i in range(burst_number)])
    return x * 1000.0, onsets


def _add_mains_and_wander(
    x: FloatArray, fs: float, rng: np.random.Generator, mains_hz: float | None, mains_uv: float, wander_uv: float
) -> None:
    """Mains hum (fundamental + 40 % third harmonic) and a slow baseline wander, added in place."""
    t = np.arange(x.size) / fs
    if mains_hz is not None and mains_hz < fs / 2:
        phase = rng.uniform(0, 2 * np.pi)
        x += mains_uv * np.sin(2 * np.pi * mains_hz * t + phase)
        if 3 * mains_hz < fs / 2:
            x += 0.4 * mains_uv * np.sin(2 * np.pi * 3 * mains_hz * t + 2 * phase)
    for f in rng.uniform(0.05, 0.5, size=3):
        x += wander_uv / 3 * np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi))


def simulate_twitches(
    duration_s: float,
    fs: float,
    *,
    seed: int | None = 0,
    rest_uv: float = 3.0,
    twitch_rate_per_min: float = 20.0,
    duration_range_s: tuple[float, float] = (0.03, 0.15),
    strength_range: tuple[float, float] = (5.0, 40.0),
    min_gap_s: float = 0.4,
    tone_patch_per_min: float = 3.0,
    tone_patch_level: tuple[float, float] = (1.3, 1.8),
    tone_patch_s: tuple[float, float] = (2.0, 8.0),
    mains_hz: float | None = 50.0,
    mains_uv: float = 15.0,
    wander_uv: float = 60.0,
    first_after_s: float = 1.0,
) -> SimulatedEmg:
    """Brief twitches (fasciculation- or myokymia-like, 30–150 ms) on a fluctuating tonic background.

    The background is the resting tone with patches of raised low-level tension (``tone_patch_level`` ×
    rest for ``tone_patch_s``) that a person does not count as events; twitches fall on rest and on
    patches alike. Each twitch adds EMG-like activity of RMS ``strength_range`` × rest under a
    raised-cosine window with 3–8 ms ramps. Ground truth (``bursts``) holds the twitches only.
    """
    fs = check_fs(fs)
    rng = np.random.default_rng(seed)
    n = round(duration_s * fs)
    amp = np.full(n, rest_uv)
    cursor = first_after_s + rng.uniform(0.0, 3.0)
    while True:  # patches of raised tone
        dur = rng.uniform(*tone_patch_s)
        if cursor + dur > duration_s - 1.0:
            break
        i0, i1 = round(cursor * fs), round((cursor + dur) * fs)
        level = rng.uniform(*tone_patch_level)
        ramp = min(round(0.5 * fs), (i1 - i0) // 3)
        shape = np.ones(i1 - i0)
        shape[:ramp] = 0.5 - 0.5 * np.cos(np.pi * np.arange(ramp) / ramp)
        shape[len(shape) - ramp :] = shape[:ramp][::-1]
        amp[i0:i1] = rest_uv * (1.0 + (level - 1.0) * shape)
        cursor += dur + rng.exponential(60.0 / tone_patch_per_min)
    events: list[tuple[float, float]] = []
    cursor = first_after_s + rng.uniform(0.0, 1.0)
    mean_gap = 60.0 / twitch_rate_per_min
    while True:
        dur = rng.uniform(*duration_range_s)
        if cursor + dur > duration_s - 1.0:
            break
        events.append((cursor, cursor + dur))
        cursor += dur + min_gap_s + rng.exponential(max(mean_gap - min_gap_s, 0.01))
    bursts = np.asarray(events, dtype=np.float64).reshape(-1, 2)
    lo, hi = np.log(strength_range[0]), np.log(strength_range[1])
    strengths = np.exp(rng.uniform(lo, hi, size=len(bursts))) * rest_uv
    for (on, off), a in zip(bursts, strengths, strict=True):
        i0, i1 = round(on * fs), round(off * fs)
        m = i1 - i0
        ramp = min(max(2, int(rng.uniform(0.003, 0.008) * fs)), m // 2)
        shape = np.ones(m)
        shape[:ramp] = 0.5 - 0.5 * np.cos(np.pi * np.arange(ramp) / ramp)
        shape[m - ramp :] = shape[:ramp][::-1]
        amp[i0:i1] = np.sqrt(amp[i0:i1] ** 2 + (a * shape) ** 2)
    x = amp * _emg_noise(rng, n, fs)
    _add_mains_and_wander(x, fs, rng, mains_hz, mains_uv, wander_uv)
    return SimulatedEmg(
        signal=x,
        fs=fs,
        bursts=bursts,
        strengths_uv=strengths,
        motion=np.zeros((0, 2)),
        rest_uv=rest_uv,
        mains_hz=mains_hz,
    )


# (centre s relative to R, width s, amplitude relative to R) of the P, Q, R, S and T waves: a
# sum-of-Gaussians beat in the spirit of McSharry et al. 2003 (ECGSYN), enough for a realistic QRS.
_PQRST = ((-0.2, 0.025, 0.12), (-0.03, 0.008, -0.15), (0.0, 0.01, 1.0), (0.03, 0.009, -0.25), (0.3, 0.05, 0.3))


def synthetic_ecg(
    n: int, fs: float, *, bpm: float = 70.0, r_uv: float = 150.0, hrv: float = 0.04, seed: int | None = 0
) -> tuple[FloatArray, FloatArray]:
    """A heartbeat as surface EMG electrodes over the neck or trunk pick it up: (signal µV, R-peak times s).

    Beats follow ``bpm`` with ``hrv`` relative beat-to-beat variation; the R wave peaks at ``r_uv``.
    """
    fs = check_fs(fs)
    rng = np.random.default_rng(seed)
    rr = 60.0 / bpm
    peaks: list[float] = []
    t = rng.uniform(0.3, rr)
    while t < n / fs:
        peaks.append(t)
        t += rr * (1.0 + hrv * rng.standard_normal())
    out = np.zeros(n)
    half = round(0.5 * fs)
    for r in peaks:
        c = round(r * fs)
        i0, i1 = max(0, c - half), min(n, c + half)
        tt = (np.arange(i0, i1) - r * fs) / fs
        for mu, sd, a in _PQRST:
            out[i0:i1] += a * r_uv * np.exp(-0.5 * ((tt - mu) / sd) ** 2)
    return out, np.asarray(peaks)


def electrode_off(x: npt.ArrayLike, fs: float, at_s: float, *, level_uv: float | None = None) -> FloatArray:
    """The signal from ``at_s`` on replaced by a flat line (an electrode come off), at ``level_uv`` or the last value."""
    out = np.array(x, dtype=np.float64)
    i = round(at_s * fs)
    out[i:] = out[i - 1] if level_uv is None else level_uv
    return out


@dataclass(frozen=True)
class SuiteCase:
    """One named test signal of the accuracy suite with its true event onsets."""

    name: str
    signal: FloatArray
    fs: float
    onsets: FloatArray
    events: FloatArray  # (n, 2) true onset/offset in seconds
    ecg: bool = False


SUITE_CASES = ("clean", "mains50", "mains60", "ecg", "motion", "small", "electrode_off", "twitches")


def accuracy_suite(fs: float, *, duration_s: float = 120.0, seed: int = 0) -> list[SuiteCase]:
    """The accuracy suite at one sample rate: clean, mains 50/60 Hz, ECG (neck-like, with 60 Hz mains),
    motion spikes, small bursts near the noise floor, an electrode coming off, brief twitches on tone."""
    fs = check_fs(fs)
    cases: list[SuiteCase] = []

    def add(name: str, sim: SimulatedEmg, signal: FloatArray | None = None, *, ecg: bool = False) -> None:
        x = sim.signal if signal is None else signal
        cases.append(SuiteCase(name, x, fs, sim.onsets.copy(), sim.bursts.copy(), ecg))

    add("clean", simulate_emg(duration_s, fs, seed=seed, mains_hz=None, motion_per_min=0, wander_uv=10.0))
    add("mains50", simulate_emg(duration_s, fs, seed=seed + 1, mains_hz=50.0, motion_per_min=0))
    add("mains60", simulate_emg(duration_s, fs, seed=seed + 2, mains_hz=60.0, motion_per_min=0, mains_uv=40.0))
    neck = simulate_emg(duration_s, fs, seed=seed + 3, mains_hz=60.0, motion_per_min=0, rest_uv=4.0)
    heart, _ = synthetic_ecg(neck.signal.size, fs, bpm=72.0, r_uv=120.0, seed=seed + 3)
    add("ecg", neck, neck.signal + heart, ecg=True)
    add("motion", simulate_emg(duration_s, fs, seed=seed + 4, motion_per_min=6.0, motion_uv=800.0))
    add("small", simulate_emg(duration_s, fs, seed=seed + 5, strength_range=(2.5, 4.0), motion_per_min=0))
    off = simulate_emg(duration_s, fs, seed=seed + 6, motion_per_min=0)
    at = 0.7 * duration_s  # the electrode comes off in rest, not inside a burst
    for on, end in off.bursts:
        if on - 0.2 <= at <= end + 0.2:
            at = end + 0.3
    keep = off.bursts[:, 1] < at
    trimmed = SimulatedEmg(off.signal, fs, off.bursts[keep], off.strengths_uv[keep], off.motion, off.rest_uv, 50.0)
    add("electrode_off", trimmed, electrode_off(off.signal, fs, at, level_uv=-800.0))
    add("twitches", simulate_twitches(duration_s, fs, seed=seed + 7))
    return cases
