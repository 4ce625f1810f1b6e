"""BYOL-A's downstream inputs: one random segment of the task's unit length per clip.

The paper (Sec. IV-A) and the official `evaluate.py`: each task has a unit length,
the average clip duration of its dataset (4.0 s NSynth and UrbanSound8K, 1.0 s
Speech Commands, 8.2 s VoxCeleb1, ...). Every clip is randomly cropped to it, or
zero-padded at both ends when shorter, and embedded once; the log-mel normalisation
statistics come from up to 10,000 random crops of the training clips.

Embedding whole clips instead (`clip_length="whole"` in `run_task`) gives a
different number: a clip longer than the unit is averaged over all its frames.
"""

import numpy as np

from keras_audio_ssl.audio.clips import crop_or_pad

CLIP_LENGTHS = ("unit", "whole")
DEFAULT_STATS_CROPS = 10000
# An encoder needs a few frames after its time pooling; BYOL-A pretrains on 0.95 s.
MIN_UNIT_SECONDS = 0.95


def mean_duration_seconds(waveforms, sample_rate):
    """The average clip duration, rounded to 10 ms (the log-mel hop)."""
    if not len(waveforms):
        raise ValueError("No clips to measure a unit length from. Received: 0 clips")
    return round(float(np.mean([len(w) for w in waveforms])) / sample_rate, 2)


def resolve_unit_seconds(unit_seconds, task_unit_seconds, waveforms, sample_rate):
    """The unit length: the caller's, else the task's (its dataset's published average),
    else the clips' mean duration; at least `MIN_UNIT_SECONDS` unless given explicitly."""
    if unit_seconds is not None:
        if not unit_seconds > 0:
            raise ValueError(f"`unit_seconds` must be > 0. Received: unit_seconds={unit_seconds!r}")
        return float(unit_seconds)
    seconds = task_unit_seconds or mean_duration_seconds(waveforms, sample_rate)
    return max(float(seconds), MIN_UNIT_SECONDS)


def unit_segments(waveforms, unit_samples, seed):
    """One random `unit_samples` crop (or both-ends zero pad) per clip, seeded."""
    rng = np.random.default_rng(seed)
    return [crop_or_pad(w, unit_samples, rng) for w in waveforms]


def statistics_crops(waveforms, unit_samples, seed, max_crops=DEFAULT_STATS_CROPS):
    """Random unit crops of up to `max_crops` distinct clips, for the normalisation statistics.

    Crops are drawn independently of `unit_segments` (their own seed stream), as
    the official code computes its statistics in a separate pass.
    """
    if isinstance(max_crops, bool) or not isinstance(max_crops, int) or max_crops < 1:
        raise ValueError(f"`max_crops` must be a positive integer. Received: max_crops={max_crops!r}")
    rng = np.random.default_rng([seed, 1])
    chosen = rng.choice(len(waveforms), size=min(max_crops, len(waveforms)), replace=False)
    return [crop_or_pad(waveforms[i], unit_samples, rng) for i in sorted(chosen)]
