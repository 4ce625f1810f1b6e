"""Representative audio for int8 calibration and for export checks.

Int8 calibration needs audio whose log-mel statistics look like real input.
`representative_waveforms` reads a folder of audio files; when no folder is
given, `speech_like_waveforms` / `music_like_waveforms` synthesise voiced
speech-like (glottal pulses through moving formant resonators, syllable
envelopes, fricative noise) and music-like (harmonic notes with decays, chords)
signals. Synthetic calibration is a fallback: real recordings of the target
domain calibrate better.
"""

import numpy as np
from scipy import signal as scipy_signal

SAMPLE_RATE = 16000
# (F1, F2, F3) in Hz of a few vowels, from the classic Peterson & Barney tables.
_VOWEL_FORMANTS = np.array(
    [[730, 1090, 2440], [270, 2290, 3010], [300, 870, 2240], [530, 1840, 2480], [570, 840, 2410]],
    dtype=np.float64,
)


def _resonator(x, freq, bandwidth):
    r = np.exp(-np.pi * bandwidth / SAMPLE_RATE)
    theta = 2 * np.pi * freq / SAMPLE_RATE
    return scipy_signal.lfilter([1 - r], [1, -2 * r * np.cos(theta), r * r], x)


def _speech_like(rng, n):
    t = np.arange(n) / SAMPLE_RATE
    f0 = rng.uniform(90, 240) * (1 + 0.15 * np.sin(2 * np.pi * rng.uniform(0.5, 2) * t))
    phase = np.cumsum(f0) / SAMPLE_RATE
    pulses = np.diff(np.floor(phase), prepend=0.0) + 0.01 * rng.standard_normal(n)
    out = np.zeros(n)
    syllable = int(SAMPLE_RATE * rng.uniform(0.15, 0.3))
    for start in range(0, n, syllable):
        stop = min(start + syllable, n)
        formants = _VOWEL_FORMANTS[rng.integers(len(_VOWEL_FORMANTS))]
        voiced = sum(_resonator(pulses[start:stop], f, 60 + 0.05 * f) for f in formants)
        envelope = np.hanning(stop - start)
        out[start:stop] += voiced * envelope
        if rng.random() < 0.4:  # a fricative between syllables
            hiss = _resonator(rng.standard_normal(stop - start), rng.uniform(3000, 6000), 1500)
            out[start:stop] += 0.3 * hiss * np.hanning(stop - start) ** 4
    return out


def _music_like(rng, n):
    t = np.arange(n) / SAMPLE_RATE
    out = np.zeros(n)
    note = int(SAMPLE_RATE * rng.uniform(0.2, 0.5))
    for start in range(0, n, note):
        for _ in range(rng.integers(1, 4)):  # chord of 1-3 notes
            f0 = 110 * 2 ** (rng.integers(0, 36) / 12)
            partials = np.arange(1, 9)
            partials = partials[partials * f0 < 7800]
            tone = sum(np.sin(2 * np.pi * k * f0 * t[: n - start]) / k**1.2 for k in partials)
            decay = np.exp(-t[: n - start] * rng.uniform(2, 8))
            out[start:] += tone * decay
    return out


def _normalise(x, rng):
    x = x / (np.max(np.abs(x)) + 1e-9) * rng.uniform(0.1, 0.9)
    x = x + 10 ** rng.uniform(-4.5, -3) * rng.standard_normal(len(x))
    return x.astype(np.float32)


def speech_like_waveforms(num, seconds=1.0, seed=0):
    """`[num, seconds * 16000]` float32 synthetic voiced speech-like clips."""
    rng = np.random.default_rng(seed)
    n = int(round(seconds * SAMPLE_RATE))
    return np.stack([_normalise(_speech_like(rng, n), rng) for _ in range(num)])


def music_like_waveforms(num, seconds=1.0, seed=0):
    """`[num, seconds * 16000]` float32 synthetic harmonic-note clips."""
    rng = np.random.default_rng(seed + 10_000)
    n = int(round(seconds * SAMPLE_RATE))
    return np.stack([_normalise(_music_like(rng, n), rng) for _ in range(num)])


def representative_waveforms(source=None, *, num_samples, max_clips=100, seed=0):
    """`[clips, num_samples]` float32 waveforms for int8 calibration.

    Args:
        source: None (synthetic speech-like + music-like clips), a folder of audio
            files, or an array `[clips, samples]` / list of 1-D arrays.
        num_samples: clip length the exported model takes.
        max_clips: at most this many clips are used.
    """
    from keras_audio_ssl.audio.clips import fit_length

    if source is None:
        half = max_clips // 2
        seconds = num_samples / SAMPLE_RATE
        return np.concatenate(
            [speech_like_waveforms(half, seconds, seed), music_like_waveforms(max_clips - half, seconds, seed)]
        )
    if isinstance(source, (str, bytes)) or hasattr(source, "__fspath__"):
        import os

        from keras_audio_ssl.audio import load_audio

        folder = os.fspath(source)
        if not os.path.isdir(folder):
            raise ValueError(f"Representative data folder not found. Received: representative_data={folder}")
        extensions = (".wav", ".flac", ".ogg", ".mp3")
        paths = sorted(
            os.path.join(root, name)
            for root, _, names in os.walk(folder)
            for name in names
            if name.lower().endswith(extensions)
        )
        if not paths:
            raise ValueError(f"No audio files in the representative data folder. Received: representative_data={folder}")
        clips = [fit_length(load_audio(path), num_samples, num_samples) for path in paths[:max_clips]]
        return np.stack(clips)
    clips = [fit_length(clip, num_samples, num_samples) for clip in list(source)[:max_clips]]
    if not clips:
        raise ValueError("Representative data is empty. Received: representative_data=[]")
    return np.stack(clips)
