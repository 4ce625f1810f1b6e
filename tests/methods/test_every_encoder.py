"""Every method trains with every registered encoder: two steps each on tiny inputs.

The default suite runs each encoder under the multi-strategy method (the most demanding
one: it trains the encoder's frames too; each encoder's own tests train it under BYOL-A);
`-m large` runs the whole matrix.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_audio_ssl import encoders
from keras_audio_ssl import methods
from keras_audio_ssl import precision
from tests.encoders.tiny_encoders import TINY_ENCODERS
from tests.encoders.tiny_encoders import in_default_suite

SAMPLES = 8000  # 0.5 s: 51 log-mel frames, room for SimCLR's 21-frame patches
METHODS = {
    "byola": lambda encoder, n_mels: methods.BYOLA(encoder, n_mels=n_mels, projection_dim=8, hidden_dim=16,
                                                    memory_size=8, **_COMMON),
    "cola": lambda encoder, n_mels: methods.COLA(encoder, n_mels=n_mels, projection_dim=8, **_COMMON),
    "simclr": lambda encoder, n_mels: methods.SimCLRAudio(encoder, n_mels=n_mels, patch_frames=21, projection_dim=8,
                                                           **_COMMON),
    "multi_strategy": lambda encoder, n_mels: methods.MultiStrategy(encoder, n_mels=n_mels, projection_dim=8,
                                                                     **_COMMON),
}
_COMMON = dict(pre_norm_mean=-6.0, pre_norm_std=4.0, seed=3)
# COLA and the multi-strategy method take two segments of a clip: [B, 2, N].
_PAIRED = {"cola", "multi_strategy"}


def _data(method):
    rng = np.random.default_rng(0)
    t = np.arange(SAMPLES) / 16000.0
    shape = (8, 2, 1) if method in _PAIRED else (8, 1)  # one step
    waves = 0.3 * np.sin(2 * np.pi * rng.uniform(200, 3000, shape) * t)
    waves = (waves + 0.05 * rng.standard_normal(waves.shape[:-1] + (SAMPLES,))).astype("float32")
    return tf.data.Dataset.from_tensor_slices(waves).batch(8, drop_remainder=True)


def _check_trains(method, encoder_name, epochs=2):
    keras.utils.set_random_seed(0)
    kwargs = TINY_ENCODERS[encoder_name]
    encoder = encoders.get(encoder_name, **kwargs)
    model = METHODS[method](encoder, kwargs["n_mels"])
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    data = _data(method)
    before = [np.array(w) for w in encoder.get_weights()]
    # Two steps (one traced): with SkipInit (SlowFastNFNetF0's zero-initialised residual gains) the
    # residual branches get no gradient until the gains have moved, at the first step.
    losses = model.fit(data, epochs=epochs, verbose=0).history["loss"]
    assert np.all(np.isfinite(losses)), (method, encoder_name, losses)
    moved = sum(not np.allclose(a, b) for a, b in zip(before, encoder.get_weights()))
    assert moved > len(before) // 2, f"{method} x {encoder_name}: only {moved} of {len(before)} weights moved"
    return model


def test_every_registered_encoder_has_tiny_settings():
    assert sorted(TINY_ENCODERS) == encoders.names()


DEFAULT = sorted(("multi_strategy", e) for e in TINY_ENCODERS if in_default_suite(e))


@pytest.mark.parametrize("method, encoder_name", DEFAULT)
def test_method_trains_with_encoder(method, encoder_name):
    _check_trains(method, encoder_name)


@pytest.mark.large
@pytest.mark.parametrize("method, encoder_name",
                         [(m, e) for m in METHODS for e in TINY_ENCODERS if (m, e) not in DEFAULT])
def test_method_trains_with_encoder_full_matrix(method, encoder_name):
    _check_trains(method, encoder_name)


@pytest.mark.large
@pytest.mark.parametrize("policy", ["mixed_bfloat16", "mixed_float16"])
@pytest.mark.parametrize("encoder_name", sorted(TINY_ENCODERS))
def test_every_encoder_trains_under_a_mixed_policy_and_exports_in_float32(encoder_name, policy):
    # These tiny heads' float16 gradients overflow at Keras's initial loss scale (2^15; BYOL-A's
    # d=512 ones do not): the loss-scale optimizer skips steps, halving the scale, until they fit.
    with precision.policy_scope(policy):
        model = _check_trains("byola", encoder_name, epochs=2 if policy == "mixed_bfloat16" else 10)
    encoder = model.encoder
    assert encoder.compute_dtype == policy.removeprefix("mixed_")
    assert {v.dtype for v in encoder.variables if "float" in v.dtype} == {"float32"}
    exact = precision.float32_copy(encoder)
    assert precision.low_precision_layers(exact) == []
    for a, b in zip(exact.get_weights(), encoder.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    x = model.preprocess(next(iter(_data("byola"))))
    expected = np.asarray(exact(x))
    np.testing.assert_allclose(np.asarray(encoder(x), dtype=np.float32), expected, rtol=0.1,
                               atol=0.05 * np.abs(expected).max())
