"""Randomness inside tf.data: explicit per-element seeds give distinct, reproducible draws."""

import numpy as np
import pytest
import tensorflow as tf

from keras_audio_ssl.augment import BYOLAAugmentation
from keras_audio_ssl.augment import GaussianNoise
from keras_audio_ssl.augment import MixupBYOLA
from keras_audio_ssl.augment import RandomLinearFader
from keras_audio_ssl.augment import RandomResizeCrop

SHAPE = (8, 12, 1)


def _layers():
    return [
        RandomResizeCrop(seed=0),
        RandomLinearFader(seed=0),
        GaussianNoise(seed=0),
        MixupBYOLA(memory_size=16, seed=0),
        BYOLAAugmentation(mixup=MixupBYOLA(memory_size=16, seed=0), fader=True),
    ]


@pytest.mark.parametrize("index", range(5))
def test_parallel_map_with_element_seeds(rng, index):
    layer = _layers()[index]
    bank = rng.normal(size=(16,) + SHAPE).astype("float32")
    mixup = layer if isinstance(layer, MixupBYOLA) else getattr(layer, "mixup", None)
    if mixup is not None:
        mixup.update_memory(bank)
    if not layer.built:
        layer.build((None,) + SHAPE)
    x = np.repeat(rng.normal(size=(1,) + SHAPE).astype("float32"), 2, axis=0)  # same clip twice
    n = 96
    kwargs = {"update_memory": False} if mixup is not None else {}

    def augment(i, batch):
        return layer(batch, training=True, seed=tf.stack([tf.constant(11, tf.int64), i]), **kwargs)

    ds = tf.data.Dataset.from_tensors(x).repeat(n).enumerate()
    outs = np.stack(list(ds.map(augment, num_parallel_calls=tf.data.AUTOTUNE).as_numpy_iterator()))
    # Same seeds give the same views whatever the parallelism.
    serial = np.stack(list(ds.map(augment).as_numpy_iterator()))
    np.testing.assert_array_equal(outs, serial)
    if not isinstance(layer, RandomResizeCrop):
        # Continuous parameters: any repeated view means a repeated draw. (RRC's
        # integer crops on an 8 x 12 input repeat legitimately.)
        rows = outs.reshape(2 * n, -1)
        assert len({r.tobytes() for r in rows}) == 2 * n


def test_explicit_seed_does_not_touch_layer_state(rng):
    x = rng.normal(size=(2,) + SHAPE).astype("float32")
    layer = RandomResizeCrop(seed=5)
    reference = np.asarray(RandomResizeCrop(seed=5)(x, training=True))
    layer(x, training=True, seed=tf.constant([1, 2]))
    np.testing.assert_array_equal(np.asarray(layer(x, training=True)), reference)


def test_bad_seed(rng):
    with pytest.raises(ValueError, match="seed"):
        RandomResizeCrop(seed="abc")
    with pytest.raises(ValueError, match="seed"):
        RandomResizeCrop()(np.zeros((1,) + SHAPE, np.float32), training=True, seed=tf.constant([0.5, 1.0]))
