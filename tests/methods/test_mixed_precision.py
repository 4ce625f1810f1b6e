"""The shared train step under mixed_float16: loss scaling skips an overflowing step, the next one applies."""

import keras
import numpy as np

from keras_audio_ssl import precision
from keras_audio_ssl.encoders import AudioNTT2020
from keras_audio_ssl.methods import BYOLA

SAMPLES = 2400


def _waveforms(n, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(SAMPLES) / 16000.0
    tones = 0.3 * np.sin(2 * np.pi * rng.uniform(200.0, 3000.0, size=(n, 1)) * t)
    return (tones + 0.05 * rng.standard_normal((n, SAMPLES))).astype("float32")


def _float16_byola():
    with precision.policy_scope("mixed_float16"):
        model = BYOLA(AudioNTT2020(feature_d=32), projection_dim=8, hidden_dim=32, memory_size=16,
                      pre_norm_mean=-6.0, pre_norm_std=4.0, seed=7)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    model.build((None, SAMPLES))
    model.optimizer.build(model.trainable_variables)
    return model


def _values(variables):
    return [np.array(v.numpy()) for v in variables]


def test_an_overflowing_float16_step_is_skipped_and_the_next_one_applied():
    model = _float16_byola()
    optimizer = model.optimizer
    assert isinstance(optimizer, keras.optimizers.LossScaleOptimizer)  # compile wrapped the Adam
    batch = _waveforms(8)
    before = _values(model.trainable_variables)
    targets_before = _values(model._target_variables())  # equal to the online weights at the start

    # A scale of 2^100 is finite in float32 but overflows every float16 gradient.
    optimizer.dynamic_scale.assign(2.0**100)
    logs = model.train_on_batch(batch, return_dict=True)
    assert np.isfinite(logs["loss"])  # the loss itself is unscaled float32
    for old, new in zip(before, _values(model.trainable_variables), strict=True):
        np.testing.assert_array_equal(old, new)
    assert int(optimizer.iterations.numpy()) == 0 and float(optimizer.dynamic_scale.numpy()) == 2.0**99
    for old, new in zip(targets_before, _values(model._target_variables()), strict=True):
        np.testing.assert_allclose(old, new, rtol=1e-6, atol=1e-7)  # EMA towards unchanged weights

    optimizer.dynamic_scale.assign(2.0**10)
    model.train_on_batch(batch)
    assert int(optimizer.iterations.numpy()) == 1 and float(optimizer.dynamic_scale.numpy()) == 2.0**10
    changed = [not np.array_equal(old, new) for old, new in zip(before, _values(model.trainable_variables))]
    assert sum(changed) > len(changed) // 2
    # The float32 EMA target followed the applied step.
    assert {v.dtype for v in model._target_variables()} == {"float32"}
    assert any(not np.allclose(old, new) for old, new in zip(targets_before, _values(model._target_variables())))

