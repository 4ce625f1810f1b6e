import numpy as np
import pytest
import tensorflow as tf

from keras_audio_ssl.augment import BYOLAAugmentation
from keras_audio_ssl.augment import GaussianNoise
from keras_audio_ssl.augment import MixupBYOLA
from keras_audio_ssl.augment import RandomLinearFader
from keras_audio_ssl.augment import RandomResizeCrop
from keras_audio_ssl.layers import seeding
from tests.test_case import run_layer_test

SHAPE = (8, 12, 1)


def test_view_is_mixup_then_rrc_then_fader(rng):
    x = rng.normal(size=(4,) + SHAPE).astype("float32")
    aug = BYOLAAugmentation(mixup=MixupBYOLA(memory_size=8), fader=True)
    aug.mixup(rng.normal(size=(8,) + SHAPE).astype("float32"), training=True)  # fill the bank
    seed = tf.constant([3, 9], tf.int64)
    out = np.asarray(aug(x, training=True, seed=seed, update_memory=False))
    expected = aug.mixup(x, training=True, seed=seeding.sub_seed(seed, 0), update_memory=False)
    expected = aug.rrc(expected, training=True, seed=seeding.sub_seed(seed, 1))
    expected = aug.fader(expected, training=True, seed=seeding.sub_seed(seed, 2))
    np.testing.assert_allclose(out, np.asarray(expected), atol=1e-6)
    assert isinstance(aug.fader, RandomLinearFader)


def test_two_views_differ_and_bank_update(rng):
    x = rng.normal(size=(4,) + SHAPE).astype("float32")
    aug = BYOLAAugmentation(mixup=MixupBYOLA(memory_size=16), rrc=RandomResizeCrop(seed=1))
    aug.mixup.update_memory(rng.normal(size=(16,) + SHAPE).astype("float32"))
    v1 = np.asarray(aug(x, training=True, update_memory=False))
    v2 = np.asarray(aug(x, training=True, update_memory=False))
    assert not np.allclose(v1, v2)
    aug.mixup.update_memory(x)
    np.testing.assert_array_equal(aug.mixup.memory_contents()[-4:], x)
    np.testing.assert_array_equal(np.asarray(aug(x, training=False)), x)


def test_blocks_can_be_left_out_or_swapped(rng):
    x = rng.normal(size=(2,) + SHAPE).astype("float32")
    fader_only = BYOLAAugmentation(mixup=False, rrc=False, fader=RandomLinearFader(seed=0))
    seed = tf.constant([1, 1], tf.int64)
    np.testing.assert_allclose(
        np.asarray(fader_only(x, training=True, seed=seed)),
        np.asarray(fader_only.fader(x, training=True, seed=seeding.sub_seed(seed, 0))),
    )
    noisy = BYOLAAugmentation(mixup=GaussianNoise(seed=0))
    assert noisy(x, training=True).shape == x.shape
    with pytest.raises(ValueError, match="mixup"):
        BYOLAAugmentation(mixup="yes")


def test_under_xla_in_a_step(rng):
    x = tf.constant(rng.normal(size=(4,) + SHAPE).astype("float32"))
    aug = BYOLAAugmentation(mixup=MixupBYOLA(memory_size=32), fader=True)
    aug.build(x.shape)

    @tf.function(jit_compile=True)
    def step(batch):
        view_1 = aug(batch, training=True, update_memory=False)
        view_2 = aug(batch, training=True, update_memory=False)
        aug.mixup.update_memory(batch)
        return view_1, view_2

    step(x)
    v1, v2 = step(x)
    assert np.all(np.isfinite(v1)) and not np.allclose(v1, v2)
    assert int(aug.mixup.memory_count) == 8


def test_config_round_trip_keeps_blocks():
    aug = BYOLAAugmentation(mixup=MixupBYOLA(ratio=0.2, memory_size=64, seed=1), rrc=False, fader=True)
    revived = BYOLAAugmentation.from_config(aug.get_config())
    assert revived.mixup.ratio == 0.2 and revived.mixup.memory_size == 64
    assert revived.rrc is None and isinstance(revived.fader, RandomLinearFader)


def test_layer_contract(rng):
    run_layer_test(
        BYOLAAugmentation,
        {"mixup": MixupBYOLA(memory_size=8, seed=1), "rrc": RandomResizeCrop(seed=2), "fader": None},
        rng.normal(size=(2,) + SHAPE).astype("float32"),
        expected_output_shape=(2,) + SHAPE,
    )
