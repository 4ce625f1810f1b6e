"""Triangular mel filterbanks (Slaney or HTK scale), computed in NumPy."""

import numpy as np

MEL_SCALES = ("slaney", "htk")
MEL_NORMS = (None, "slaney")

# Slaney's Auditory Toolbox scale: linear below 1 kHz, logarithmic above.
_SLANEY_F_SP = 200.0 / 3.0
_SLANEY_MIN_LOG_HZ = 1000.0
_SLANEY_MIN_LOG_MEL = _SLANEY_MIN_LOG_HZ / _SLANEY_F_SP
_SLANEY_LOG_STEP = np.log(6.4) / 27.0


def hz_to_mel(frequencies, mel_scale="slaney"):
    """Converts Hz to mels on the Slaney or HTK scale (float64 NumPy)."""
    _check_mel_scale(mel_scale)
    f = np.asarray(frequencies, dtype=np.float64)
    if mel_scale == "htk":
        return 2595.0 * np.log10(1.0 + f / 700.0)
    mels = f / _SLANEY_F_SP
    log_part = f >= _SLANEY_MIN_LOG_HZ
    # np.maximum keeps log() away from 0 in the branch np.where discards.
    log_mels = _SLANEY_MIN_LOG_MEL + (
        np.log(np.maximum(f, _SLANEY_MIN_LOG_HZ) / _SLANEY_MIN_LOG_HZ) / _SLANEY_LOG_STEP
    )
    return np.where(log_part, log_mels, mels)


def mel_to_hz(mels, mel_scale="slaney"):
    """Converts mels back to Hz; inverse of `hz_to_mel`."""
    _check_mel_scale(mel_scale)
    m = np.asarray(mels, dtype=np.float64)
    if mel_scale == "htk":
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)
    freqs = _SLANEY_F_SP * m
    log_part = m >= _SLANEY_MIN_LOG_MEL
    log_freqs = _SLANEY_MIN_LOG_HZ * np.exp(
        _SLANEY_LOG_STEP * (np.maximum(m, _SLANEY_MIN_LOG_MEL) - _SLANEY_MIN_LOG_MEL)
    )
    return np.where(log_part, log_freqs, freqs)


def mel_filterbank(
    sample_rate=16000,
    n_fft=1024,
    n_mels=64,
    f_min=60.0,
    f_max=7800.0,
    mel_scale="slaney",
    norm="slaney",
):
    """Triangular mel filterbank mapping an rFFT power spectrum to mel bands.

    `mel_scale="slaney", norm="slaney"` reproduces `librosa.filters.mel`'s
    defaults (what the official BYOL-A weights were trained on);
    `mel_scale="htk", norm=None` reproduces torchaudio's
    `melscale_fbanks` / `MelSpectrogram` defaults. The scale and the
    normalisation are independent choices.

    Args:
        sample_rate: int. Sampling rate of the waveform in Hz.
        n_fft: int. FFT size; the filterbank has `n_fft // 2 + 1` rows.
        n_mels: int. Number of mel bands (columns).
        f_min: float. Lowest band edge in Hz.
        f_max: float. Highest band edge in Hz, at most `sample_rate / 2`.
        mel_scale: `"slaney"` or `"htk"`.
        norm: `None` (peak 1 per triangle) or `"slaney"` (each triangle
            divided by its width in Hz / 2, i.e. constant energy per band).

    Returns:
        float32 array of shape `[n_fft // 2 + 1, n_mels]`, so that
        `power_spectrum @ filterbank` gives mel power.

    Example:
    >>> fb = mel_filterbank(sample_rate=16000, n_fft=1024, n_mels=64)
    >>> fb.shape
    (513, 64)
    """
    _check_mel_scale(mel_scale)
    if norm not in MEL_NORMS:
        raise ValueError(f"`norm` must be one of {MEL_NORMS}. Received: norm={norm!r}")
    if not sample_rate or sample_rate <= 0:
        raise ValueError(f"`sample_rate` must be positive. Received: sample_rate={sample_rate}")
    if int(n_fft) != n_fft or n_fft < 2:
        raise ValueError(f"`n_fft` must be an integer >= 2. Received: n_fft={n_fft}")
    if int(n_mels) != n_mels or n_mels < 1:
        raise ValueError(f"`n_mels` must be a positive integer. Received: n_mels={n_mels}")
    if f_min < 0:
        raise ValueError(f"`f_min` must be >= 0. Received: f_min={f_min}")
    if f_max > sample_rate / 2:
        raise ValueError(
            f"`f_max` must be at most the Nyquist frequency {sample_rate / 2} Hz. "
            f"Received: f_max={f_max}"
        )
    if f_max <= f_min:
        raise ValueError(
            f"`f_max` must be greater than `f_min`={f_min}. Received: f_max={f_max}"
        )
    n_fft, n_mels = int(n_fft), int(n_mels)

    fft_freqs = np.fft.rfftfreq(n_fft, d=1.0 / sample_rate)
    # n_mels + 2 edges: band i rises from edge i to edge i+1, falls to edge i+2.
    edge_mels = np.linspace(
        hz_to_mel(f_min, mel_scale), hz_to_mel(f_max, mel_scale), n_mels + 2
    )
    edges_hz = mel_to_hz(edge_mels, mel_scale)
    widths = np.diff(edges_hz)
    offsets = edges_hz[:, None] - fft_freqs[None, :]  # [n_mels + 2, n_freqs]
    rising = -offsets[:-2] / widths[:-1, None]
    falling = offsets[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(rising, falling))  # [n_mels, n_freqs]
    if norm == "slaney":
        weights *= (2.0 / (edges_hz[2:] - edges_hz[:-2]))[:, None]
    return weights.T.astype(np.float32)


def _check_mel_scale(mel_scale):
    if mel_scale not in MEL_SCALES:
        raise ValueError(
            f"`mel_scale` must be one of {MEL_SCALES}. Received: mel_scale={mel_scale!r}"
        )
