"""What a method's `train_step` and `adapt` take as a batch of waveforms."""

import tensorflow as tf
from keras import ops


def first_tensor(data):
    """The waveforms of a batch given alone or as the first item of (nested) tuples, e.g. `(x, y)`."""
    while isinstance(data, (tuple, list)):
        data = data[0]
    return data


def crops_to_batch(waveform):
    """`[B, N]` unchanged; `[B, S, N]` (S crops of each clip, COLA's positives) -> segment-major `[S*B, N]`,
    so that rows `s*B .. s*B + B - 1` hold crop s of every clip."""
    if len(waveform.shape) != 3:
        return waveform
    return ops.reshape(ops.transpose(waveform, (1, 0, 2)), (-1, waveform.shape[-1]))


def log_mels(front_end, dataset):
    """The `front_end`'s log-mels of a `tf.data.Dataset` of waveform batches (a dataset), or of an array."""
    if isinstance(dataset, tf.data.Dataset):
        return dataset.map(lambda *element: front_end(first_tensor(element)))
    return front_end(ops.convert_to_tensor(dataset, "float32"))
