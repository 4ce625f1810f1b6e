"""Log-mel statistics of a dataset: BYOL-A's pre-normalization mean and std."""

import sys

import numpy as np


def log_mel_statistics(dataset, num_samples, *, front_end=None, total=None, verbose=1):
    """Mean and std of the log-mel over about `num_samples` clips (the official code's pre-norm stats).

    Args:
        dataset: batches of raw waveforms `[B, N]`.
        num_samples: clips to use (rounded up to whole batches; fewer if the data ends).
        front_end: the log-mel layer (default `LogMelSpectrogram()`).
        total: clips in `dataset` when known (the progress then has a true total).
        verbose: show progress (one line at the end when stdout is not a terminal).

    Returns:
        `(mean, std)` Python floats.

    Raises:
        ValueError: no audio, or degenerate (silent / constant) statistics.
    """
    import keras

    from keras_audio_ssl.audio import LogMelSpectrogram

    front_end = front_end or LogMelSpectrogram()
    target = num_samples if total is None else min(num_samples, int(total))
    total_sum, total_sq, count, seen = 0.0, 0.0, 0, 0
    bar = None
    if verbose:
        print(f"Computing pre-normalization statistics on {target} clips", flush=True)
        bar = keras.utils.Progbar(target, unit_name="clip", verbose=1 if sys.stdout.isatty() else 2)
    for batch in dataset:
        mel = keras.ops.convert_to_numpy(front_end(batch)).astype(np.float64)
        total_sum += mel.sum()
        total_sq += np.square(mel).sum()
        count += mel.size
        seen += int(batch.shape[0])
        if bar is not None:
            bar.update(min(seen, target))
        if seen >= num_samples:
            break
    if bar is not None and seen < target:
        bar.update(seen, finalize=True)
    if count == 0:
        raise ValueError("No audio to compute normalization statistics from: the dataset yielded no batch.")
    mean = total_sum / count
    std = float(np.sqrt(max(total_sq / count - mean**2, 0.0)))
    if not np.isfinite(mean) or not np.isfinite(std) or std < 1e-6:
        raise ValueError(
            f"Normalization statistics are degenerate (mean={mean}, std={std}): is the audio silent or constant?"
        )
    return float(mean), std
