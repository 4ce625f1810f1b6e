"""Reading sources and writing benchmark clips (16 kHz mono 16-bit WAV)."""

import hashlib
import math
import os
import subprocess

import numpy as np
import scipy.signal
import soundfile as sf

SAMPLE_RATE = 16000
# A clip whose RMS is below this (about -60 dBFS) counts as silent and is dropped.
SILENCE_RMS = 1e-3
# Peaks are kept below full scale so no 16-bit sample clips.
MAX_PEAK = 0.95


def to_16k_mono(samples, sample_rate):
    """Float32 mono 16 kHz from an array `[N]` or `[N, C]` at `sample_rate`.

    Uses scipy.signal.resample_poly directly rather than
    `keras_audio_ssl.audio.resample`: importing the `audio` package imports
    TensorFlow, which would cost seconds in every worker process.
    """
    x = np.asarray(samples, dtype=np.float32)
    if x.ndim == 2:
        x = x.mean(axis=1)
    if int(sample_rate) != SAMPLE_RATE:
        g = math.gcd(int(sample_rate), SAMPLE_RATE)
        x = scipy.signal.resample_poly(x, SAMPLE_RATE // g, int(sample_rate) // g)
    return x.astype(np.float32)


def read_audio(path):
    """Decodes WAV/OGG/FLAC with soundfile into 16 kHz mono float32."""
    try:
        data, sr = sf.read(path, dtype="float32", always_2d=True)
    except Exception as e:  # soundfile raises several types
        raise ValueError(f"Cannot decode audio file {path}: {e}") from e
    return to_16k_mono(data, sr)


def rms(x):
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if len(x) else 0.0


def is_silent(x):
    return rms(x) < SILENCE_RMS


def trim_silence(x, threshold=0.01, pad=800):
    """Drops leading/trailing samples quieter than `threshold` of the peak."""
    if not len(x):
        return x
    loud = np.flatnonzero(np.abs(x) > threshold * max(np.abs(x).max(), 1e-9))
    if not len(loud):
        return x[:0]
    return x[max(loud[0] - pad, 0) : loud[-1] + pad]


def fit_length(x, n, rng=None):
    """Crops or zero-pads `x` to exactly `n` samples (random offset if rng)."""
    if len(x) >= n:
        start = int(rng.integers(0, len(x) - n + 1)) if rng is not None else 0
        return x[start : start + n]
    out = np.zeros(n, np.float32)
    start = int(rng.integers(0, n - len(x) + 1)) if rng is not None else 0
    out[start : start + len(x)] = x
    return out


def peak_normalize(x, peak):
    m = float(np.abs(x).max()) if len(x) else 0.0
    return x if m == 0 else (x * (peak / m)).astype(np.float32)


def mix_at_snr(signal, noise, snr_db):
    """signal + noise scaled so that 10*log10(P_signal / P_noise) == snr_db."""
    noise = noise[: len(signal)]
    p_s, p_n = rms(signal) ** 2, rms(noise) ** 2
    if p_n == 0:
        return signal
    scale = math.sqrt(p_s / (p_n * 10 ** (snr_db / 10)))
    return (signal + scale * noise).astype(np.float32)


def write_clip(path, x):
    """Writes 16 kHz mono PCM_16; peaks above MAX_PEAK are scaled down."""
    x = np.asarray(x, np.float32)
    if np.abs(x).max(initial=0) > MAX_PEAK:
        x = peak_normalize(x, MAX_PEAK)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".part.wav"
    sf.write(tmp, x, SAMPLE_RATE, subtype="PCM_16")
    os.replace(tmp, path)  # atomic: an interrupted run never leaves half a clip


def sha1_of_file(path):
    h = hashlib.sha1()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def run_program(args, **kwargs):
    """Runs an external program; raises RuntimeError with its stderr on failure."""
    proc = subprocess.run(args, capture_output=True, **kwargs)
    if proc.returncode != 0:
        raise RuntimeError(
            f"{args[0]} failed (exit {proc.returncode}): "
            f"{proc.stderr.decode(errors='replace')[-500:]}"
        )
    return proc


def job_rng(seed, *key):
    """Independent, reproducible generator per job (same seed+key -> same clips)."""
    digest = hashlib.sha1(repr((seed,) + key).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))
