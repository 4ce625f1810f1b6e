"""Fixed-length segments from variable-length waveforms, inside tf.data."""

import tensorflow as tf


PAD_MODES = ("zeros", "repeat")


def random_crop_or_pad(waveform, segment_samples, seed, pad_mode="zeros"):
    """Random crop of a 1-D waveform, or padding when shorter.

    BYOL-A's rule (Niizumi et al., 2021, Sec. 4.1): longer clips are randomly
    cropped; shorter clips are zero-padded at both ends, so the audio sits in
    the middle of the segment (`pad_mode="zeros"`).

    `pad_mode="repeat"` tiles a shorter clip and takes a window at a random
    phase, so every part of the segment is real audio: what SimCLR-audio's
    patches need (Fonseca et al.'s code repeats short clips), since a patch
    drawn from a zero-padded segment may be mostly silence.

    The crop offset is drawn with a stateless op from `seed`, so the same
    `(waveform, seed)` always gives the same segment, whatever the tf.data
    parallelism (stateful RNGs inside a parallel map give duplicate draws).

    Args:
        waveform: float `[N]` tensor.
        segment_samples: int, output length.
        seed: int32/int64 tensor of shape `[2]` (stateless RNG seed).
        pad_mode: "zeros" (centred) or "repeat" (tiled, random phase).

    Returns:
        `[segment_samples]` tensor of `waveform`'s dtype.

    Example:
    >>> segment = random_crop_or_pad(wave, 15200, tf.constant([7, 0]))
    """
    if int(segment_samples) <= 0:
        raise ValueError(f"`segment_samples` must be a positive integer. Received: segment_samples={segment_samples}")
    if pad_mode not in PAD_MODES:
        raise ValueError(f"`pad_mode` must be one of {PAD_MODES}. Received: pad_mode={pad_mode!r}")
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

    def repeat():
        # Enough copies that a window starting anywhere in the first copy fits.
        copies = segment_samples // tf.maximum(length, 1) + 2
        tiled = tf.tile(waveform, tf.reshape(tf.cast(copies, tf.int32), [1]))
        start = tf.random.stateless_uniform([], seed=seed, minval=0, maxval=tf.maximum(length, 1), dtype=tf.int64)
        return tiled[start : start + segment_samples]

    short = repeat if pad_mode == "repeat" else pad
    segment = tf.cond(length > segment_samples, crop, lambda: tf.cond(length > 0, short, pad))
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


def stateless_shuffle(dataset, buffer_size, seed, *, size=None):
    """Shuffles `dataset` as a pure function of the int64 tensor `seed`.

    `Dataset.shuffle` routes its seed through the global seed (`tf.random.set_seed`
    changes the order, and a tensor seed fails when the global seed truncates to 0),
    so the epoch-seeded pipeline, whose order must depend on `(seed, epoch)` alone,
    shuffles with stateless ops instead:

    - `size` given (a finite list such as file paths or shards): one full
      permutation of the `size` elements.
    - otherwise (a stream): consecutive blocks of `buffer_size` elements, each
      permuted; a block shuffle mixes as far as a shuffle buffer of that size.
    """
    seed = tf.stack([tf.cast(seed, tf.int64), tf.constant(0x5EED, tf.int64)])
    if size is not None:
        order = tf.random.experimental.stateless_shuffle(tf.range(int(size), dtype=tf.int64), seed=seed)
        elements = dataset.batch(int(size)).get_single_element()
        return tf.data.Dataset.from_tensor_slices(order).map(
            lambda i: tf.nest.map_structure(lambda t: tf.gather(t, i), elements)
        )
    blocks = dataset.batch(int(buffer_size))
    block_seeds = tf.data.Dataset.counter().map(lambda i: tf.random.experimental.stateless_fold_in(seed, i))

    def permute(block, block_seed):
        count = tf.shape(tf.nest.flatten(block)[0], out_type=tf.int64)[0]
        order = tf.random.experimental.stateless_shuffle(tf.range(count), seed=block_seed)
        return tf.nest.map_structure(lambda t: tf.gather(t, order), block)

    return tf.data.Dataset.zip(blocks, block_seeds).map(permute).unbatch()


def seeded_shuffle(dataset, buffer_size, seed, *, reshuffle, size=None):
    """`Dataset.shuffle` with an int `seed`, new each iteration (`reshuffle=True`); else `stateless_shuffle`."""
    if reshuffle:
        return dataset.shuffle(buffer_size, seed=seed, reshuffle_each_iteration=True)
    return stateless_shuffle(dataset, buffer_size, seed, size=size)
