"""Fixed-length segments from variable-length waveforms, inside tf.data."""

import tensorflow as tf


def random_crop_or_pad(waveform, segment_samples, seed):
    """Random crop of a 1-D waveform, or centred zero-padding when shorter.

    BYOL-A's rule (Niizumi et al., 2021, Sec. 4.1): longer clips are randomly
    cropped; shorter clips are zero-padded at both ends, so the audio sits in
    the middle of the segment.

    The crop offset is drawn with a stateless op from `seed`, so the same
    `(waveform, seed)` always gives the same segment, whatever the tf.data
    parallelism (stateful RNGs inside a parallel map give duplicate draws).

    Args:
        waveform: float `[N]` tensor.
        segment_samples: int, output length.
        seed: int32/int64 tensor of shape `[2]` (stateless RNG seed).

    Returns:
        `[segment_samples]` tensor of `waveform`'s dtype.

    Example:
    >>> segment = random_crop_or_pad(wave, 15200, tf.constant([7, 0]))
    """
    if int(segment_samples) <= 0:
        raise ValueError(f"`segment_samples` must be a positive integer. Received: segment_samples={segment_samples}")
    segment_samples = int(segment_samples)
    waveform = tf.convert_to_tensor(waveform)
    length = tf.shape(waveform, out_type=tf.int64)[0]

    def crop():
        start = tf.random.stateless_uniform(
            [], seed=seed, minval=0, maxval=length - segment_samples + 1, dtype=tf.int64
        )
        return waveform[start : start + segment_samples]

    def pad():
        total = segment_samples - length
        left = total // 2
        return tf.pad(waveform, tf.stack([[left, total - left]]))

    segment = tf.cond(length > segment_samples, crop, pad)
    return tf.ensure_shape(segment, [segment_samples])


def element_seeds(seed):
    """A dataset of int64 `[2]` stateless seeds, one per element.

    Reproducible for a given `seed` on a freshly built dataset, and different
    on every new iteration (epoch) of that dataset, including through
    `repeat()`: `tf.data.Dataset.random(..., rerandomize_each_iteration=True)`.
    """
    draws = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
    # The element counter as the second word keeps seeds distinct even if two draws collide.
    return tf.data.Dataset.zip(draws, tf.data.Dataset.counter()).map(lambda a, b: tf.stack([a, b]))
