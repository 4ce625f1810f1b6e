"""A built-in corpus of varied synthetic audio, made in code (no download).

Used by the demo (`python -m keras_audio_ssl.demo`), the benchmarks and the
tests. Six sound classes with different time-frequency structure:

| class | what it is |
|---|---|
| `harmonic` | a harmonic tone (random f0, 2-10 partials with a spectral tilt) under an attack/decay envelope |
| `chirp` | a sine sweep, linear or exponential, up or down |
| `noise_burst` | band-pass noise bursts (random centre and bandwidth) |
| `percussion` | a train of clicks exciting decaying resonances (drum-like hits) |
| `am_tone` | a tone amplitude-modulated at 2-16 Hz |
| `fm_tone` | a tone frequency-modulated (vibrato 3-12 Hz, depth 2-15 %) |

Every clip gets a random gain and quiet background noise at a random SNR. Each
clip's "pitch" (its f0, sweep start, band centre or resonance) is drawn from one
of a set of log-frequency bands; `make_labeled_task` trains on the even bands
and tests on the odd ones, so a probe has to generalise across pitch rather than
memorise it.
"""

import os

import numpy as np

CLASS_NAMES = (
    "harmonic",
    "chirp",
    "noise_burst",
    "percussion",
    "am_tone",
    "fm_tone",
)

# Pitch range (Hz) split into log-spaced bands; train/test use disjoint bands.
_PITCH_LOW, _PITCH_HIGH, _NUM_BANDS = 100.0, 2000.0, 8


def _pitch(rng, band):
    edges = np.geomspace(_PITCH_LOW, _PITCH_HIGH, _NUM_BANDS + 1)
    return float(np.exp(rng.uniform(np.log(edges[band]), np.log(edges[band + 1]))))


def _envelope(rng, n, sample_rate):
    attack = int(rng.uniform(0.002, 0.1) * sample_rate)
    t = np.arange(n) / sample_rate
    env = np.exp(-t * rng.uniform(0.5, 6.0))
    env[:attack] *= np.linspace(0.0, 1.0, attack, endpoint=False)
    return env


def _bandpass_noise(rng, n, sample_rate, centre, rel_bandwidth):
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1.0 / sample_rate)
    width = max(centre * rel_bandwidth, 20.0)
    spectrum *= np.exp(-0.5 * ((freqs - centre) / width) ** 2)
    out = np.fft.irfft(spectrum, n)
    return out / (np.max(np.abs(out)) + 1e-9)


def synthesize_clip(class_name, rng, *, seconds=1.0, sample_rate=16000, band=None):
    """Generates one clip of a sound class.

    Args:
        class_name: one of `CLASS_NAMES`.
        rng: a `numpy.random.Generator`.
        seconds: clip length.
        sample_rate: output rate in Hz.
        band: index of the pitch band (0-7) to draw the clip's pitch from;
            `None` draws the band at random.

    Returns:
        float32 waveform `[round(seconds * sample_rate)]` in [-1, 1].

    Example:
    >>> x = synthesize_clip("chirp", np.random.default_rng(0), seconds=0.5)
    >>> x.shape
    (8000,)
    """
    if class_name not in CLASS_NAMES:
        raise ValueError(
            f"Unknown class; expected one of {CLASS_NAMES}. Received: class_name={class_name!r}"
        )
    n = int(round(seconds * sample_rate))
    t = np.arange(n) / sample_rate
    band = int(rng.integers(_NUM_BANDS)) if band is None else int(band)
    f0 = _pitch(rng, band)
    nyquist = sample_rate / 2

    if class_name == "harmonic":
        tilt = rng.uniform(0.3, 1.5)
        x = np.zeros(n)
        for k in range(1, int(rng.integers(2, 11)) + 1):
            if k * f0 >= nyquist * 0.95:
                break
            x += k ** (-tilt) * np.sin(2 * np.pi * k * f0 * t + rng.uniform(0, 2 * np.pi))
        x *= _envelope(rng, n, sample_rate)
    elif class_name == "chirp":
        f1 = f0 * np.exp(rng.choice([-1.0, 1.0]) * rng.uniform(0.7, 2.0))
        f1 = float(np.clip(f1, 50.0, nyquist * 0.9))
        if rng.random() < 0.5:  # linear sweep
            phase = 2 * np.pi * (f0 * t + 0.5 * (f1 - f0) / seconds * t**2)
        else:  # exponential sweep
            k = np.log(f1 / f0) / seconds
            phase = 2 * np.pi * f0 * (np.exp(k * t) - 1) / k
        x = np.sin(phase) * np.hanning(n) ** 0.3
    elif class_name == "noise_burst":
        x = np.zeros(n)
        for _ in range(int(rng.integers(1, 4))):
            length = int(rng.uniform(0.1, 0.5) * n)
            start = int(rng.integers(0, n - length + 1))
            burst = _bandpass_noise(rng, length, sample_rate, f0 * 2, rng.uniform(0.05, 0.5))
            x[start : start + length] += burst * np.hanning(length)
    elif class_name == "percussion":
        x = np.zeros(n)
        period = rng.uniform(0.08, 0.35)
        decay = rng.uniform(10.0, 60.0)
        onset = rng.uniform(0.0, period)
        while onset < seconds:
            start = int(onset * sample_rate)
            tail = np.arange(n - start) / sample_rate
            hit = np.sin(2 * np.pi * f0 * tail) * np.exp(-decay * tail)
            hit[: min(20, hit.size)] += rng.standard_normal(min(20, hit.size))  # the click
            x[start:] += hit * rng.uniform(0.5, 1.0)
            onset += period * rng.uniform(0.8, 1.2)
    elif class_name == "am_tone":
        rate = rng.uniform(2.0, 16.0)
        depth = rng.uniform(0.5, 1.0)
        x = np.sin(2 * np.pi * f0 * t) * (1 - depth * 0.5 * (1 + np.cos(2 * np.pi * rate * t)))
    else:  # fm_tone
        rate = rng.uniform(3.0, 12.0)
        depth = rng.uniform(0.02, 0.15)
        phase = 2 * np.pi * f0 * t + (depth * f0 / rate) * np.sin(2 * np.pi * rate * t)
        x = np.sin(phase)

    x = x / (np.max(np.abs(x)) + 1e-9)
    snr_db = rng.uniform(10.0, 40.0)
    x = x + rng.standard_normal(n) * 10 ** (-snr_db / 20) * np.sqrt(np.mean(x**2) + 1e-12)
    x = x / (np.max(np.abs(x)) + 1e-9) * rng.uniform(0.1, 0.9)
    return x.astype(np.float32)


def make_unlabeled_corpus(num_clips, *, seconds=1.0, sample_rate=16000, seed=0):
    """Draws `num_clips` clips of random classes and pitches.

    Returns:
        float32 array `[num_clips, round(seconds * sample_rate)]`.
    """
    if num_clips < 1:
        raise ValueError(f"num_clips must be >= 1. Received: num_clips={num_clips}")
    rng = np.random.default_rng(seed)
    classes = rng.integers(len(CLASS_NAMES), size=num_clips)
    return np.stack(
        [synthesize_clip(CLASS_NAMES[c], rng, seconds=seconds, sample_rate=sample_rate) for c in classes]
    )


def make_labeled_task(num_train_per_class, num_test_per_class, *, seconds=1.0, sample_rate=16000, seed=1):
    """A small labeled task: which of the six classes is a clip?

    The train split draws pitches from the even bands and the test split from
    the odd bands, so test clips have pitches never seen in training.

    Returns:
        dict with `x_train [n, N]`, `y_train [n]`, `x_test`, `y_test` and
        `class_names`.
    """
    rng = np.random.default_rng(seed)

    def split(per_class, bands):
        xs, ys = [], []
        for label, name in enumerate(CLASS_NAMES):
            for _ in range(per_class):
                band = int(rng.choice(bands))
                xs.append(synthesize_clip(name, rng, seconds=seconds, sample_rate=sample_rate, band=band))
                ys.append(label)
        order = rng.permutation(len(xs))
        return np.stack(xs)[order], np.asarray(ys, np.int32)[order]

    x_train, y_train = split(num_train_per_class, list(range(0, _NUM_BANDS, 2)))
    x_test, y_test = split(num_test_per_class, list(range(1, _NUM_BANDS, 2)))
    return {
        "x_train": x_train,
        "y_train": y_train,
        "x_test": x_test,
        "y_test": y_test,
        "class_names": list(CLASS_NAMES),
    }


def write_wav_folder(folder, waveforms, *, sample_rate=16000, prefix="clip"):
    """Writes waveforms as 16-bit PCM WAV files; returns the paths."""
    import soundfile as sf

    os.makedirs(folder, exist_ok=True)
    paths = []
    for i, x in enumerate(waveforms):
        path = os.path.join(folder, f"{prefix}_{i:05d}.wav")
        sf.write(path, np.asarray(x), sample_rate, subtype="PCM_16")
        paths.append(path)
    return paths


def write_labeled_task(folder, num_train_per_class, num_test_per_class, *, seconds=1.0, seed=1, folds=0):
    """Writes `make_labeled_task` as WAV files plus the manifest `synthetic.csv`; returns its path.

    The manifest is `path,label,split` (train/test), or with `folds` > 0 `path,label,fold`
    (rows dealt to folds 1..`folds` in turn, for leave-one-fold-out).
    """
    import pandas as pd

    data = make_labeled_task(num_train_per_class, num_test_per_class, seconds=seconds, seed=seed)
    rows = []
    for split in ("train", "test"):
        paths = write_wav_folder(folder, data[f"x_{split}"], prefix=split)
        for path, y in zip(paths, data[f"y_{split}"]):
            row = {"path": os.path.basename(path), "label": data["class_names"][y]}
            row.update({"fold": 1 + len(rows) % folds} if folds else {"split": split})
            rows.append(row)
    csv = os.path.join(folder, "synthetic.csv")
    pd.DataFrame(rows).to_csv(csv, index=False)
    return csv
