"""Clips as NumPy waveforms: paths or arrays in, checked float32 mono out; padding and cropping."""

import numpy as np

from keras_audio_ssl.audio.decode import load_audio

DEFAULT_SAMPLE_RATE = 16000


def load_clips(clips, sample_rate=DEFAULT_SAMPLE_RATE):
    """Turns a list of paths and/or 1-D arrays into a list of float32 waveforms.

    Raises a `ValueError` naming the file or the list position for a clip that
    is not 1-D, is empty, or holds NaN/inf samples.
    """
    waveforms = []
    for i, clip in enumerate(clips):
        if isinstance(clip, (str, bytes)) or hasattr(clip, "__fspath__"):
            wave = np.asarray(load_audio(clip, sample_rate=sample_rate), dtype=np.float32)
            where = f"file {clip}"
        else:
            wave = np.asarray(clip, dtype=np.float32)
            where = f"clips[{i}]"
        if wave.ndim != 1:
            raise ValueError(f"Each clip must be a 1-D mono waveform. Received: {where} with shape {wave.shape}")
        if len(wave) == 0:
            raise ValueError(f"Empty audio. Received: {where} with 0 samples")
        if not np.all(np.isfinite(wave)):
            raise ValueError(f"Audio contains NaN or infinite samples. Received: {where}")
        waveforms.append(wave)
    return waveforms


def fit_length(wave, min_samples=None, max_samples=None):
    """Zero-pads at both ends up to `min_samples`; centre-crops down to `max_samples`.

    `fit_length(w, n, n)` gives exactly `n` samples.
    """
    wave = np.asarray(wave, dtype=np.float32)
    if min_samples and len(wave) < min_samples:
        missing = min_samples - len(wave)
        wave = np.pad(wave, (missing // 2, missing - missing // 2))
    if max_samples and len(wave) > max_samples:
        start = (len(wave) - max_samples) // 2
        wave = wave[start : start + max_samples]
    return wave


def crop_or_pad(wave, length, rng):
    """Exactly `length` samples: a random crop (drawn from `rng`) of a longer clip,
    or a shorter one zero-padded at both ends (BYOL-A's downstream segments)."""
    wave = np.asarray(wave, dtype=np.float32)
    if len(wave) > length:
        start = int(rng.integers(0, len(wave) - length + 1))
        return wave[start : start + length]
    return fit_length(wave, min_samples=length)
