"""Sample-rate conversion of NumPy waveforms (polyphase, scipy)."""

import math

import numpy as np
import scipy.signal


def resample(x, orig_sr, target_sr):
    """Resamples a waveform with a polyphase anti-aliasing filter.

    Uses `scipy.signal.resample_poly` with the up/down factors reduced by
    their greatest common divisor (44.1 kHz -> 16 kHz is up 160, down 441),
    along the time axis.

    Args:
        x: array `[N]` or `[N, C]` (time first).
        orig_sr: int. Sampling rate of `x` in Hz.
        target_sr: int. Wanted sampling rate in Hz.

    Returns:
        float32 array `[ceil(N * target_sr / orig_sr)]` or `[..., C]`; a
        float32 copy of `x` when the rates are equal.

    Example:
    >>> y = resample(np.zeros(44100, "float32"), 44100, 16000)
    >>> y.shape
    (16000,)
    """
    orig_sr = _check_rate(orig_sr, "orig_sr")
    target_sr = _check_rate(target_sr, "target_sr")
    x = np.asarray(x)
    if x.ndim not in (1, 2):
        raise ValueError(
            f"`x` must be a waveform of shape [N] or [N, C]. Received: x.shape={x.shape}"
        )
    if orig_sr == target_sr or x.shape[0] == 0:
        return x.astype(np.float32, copy=True)
    divisor = math.gcd(orig_sr, target_sr)
    up, down = target_sr // divisor, orig_sr // divisor
    # Filter in float64: the long polyphase FIR accumulates error in float32.
    y = scipy.signal.resample_poly(x.astype(np.float64), up, down, axis=0)
    return y.astype(np.float32)


def _check_rate(rate, name):
    try:
        value = float(rate)
    except (TypeError, ValueError):
        raise ValueError(f"`{name}` must be a positive integer in Hz. Received: {name}={rate!r}")
    if not value > 0 or value != int(value):
        raise ValueError(f"`{name}` must be a positive integer in Hz. Received: {name}={rate!r}")
    return int(value)
