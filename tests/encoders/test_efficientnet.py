"""EfficientNetB0Encoder: COLA's EfficientNet-B0 with the multiple-sampling-strategies head."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_audio_ssl import encoders
from keras_audio_ssl.encoders import EfficientNetB0Encoder
from keras_audio_ssl.encoders import build_embedding_model
from keras_audio_ssl.encoders.embedding_model_parts import build_frames_model
from keras_audio_ssl.encoders.embedding_model_parts import final_time_pooling
from keras_audio_ssl.encoders.embedding_model_parts import min_samples
from keras_audio_ssl.encoders.embedding_model_parts import shared_frames_model
from keras_audio_ssl.encoders.embedding_model_parts import time_downsampling
from keras_audio_ssl.methods import BYOLA
from keras_audio_ssl.recipes.run import build_encoder
from tests.encoders.tiny_encoders import TINY_ENCODERS
from tests.test_case import run_layer_test

TINY = TINY_ENCODERS["efficientnet_b0"]  # B0 itself; a 16-wide head on 32 mels


@pytest.fixture(scope="module")
def tiny_encoder():
    # Shared by the tests that only call it (each build of B0 costs ~2 s here).
    return EfficientNetB0Encoder(**TINY)


def _trainable_count(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def _log_mel(n_mels, frames, batch=2, seed=0):
    return np.random.default_rng(seed).standard_normal((batch, n_mels, frames, 1)).astype("float32")


def _application(n_mels, frames):
    return keras.applications.EfficientNetB0(weights=None, include_top=False, input_shape=(n_mels, frames, 1))


def test_parameter_count_at_the_defaults():
    encoder = EfficientNetB0Encoder()
    trunk = _trainable_count(_application(64, 96))  # one input channel, no top
    assert trunk == 4_006_972
    assert _trainable_count(encoder) == trunk + (1280 * 512 + 512) + 2 * 512 == 4_663_868
    moving = sum(int(np.prod(w.shape)) for w in encoder.non_trainable_weights)
    assert moving == 42_016


def test_layer_contract():
    x = _log_mel(TINY["n_mels"], 40)
    d = TINY["feature_d"]
    run_layer_test(EfficientNetB0Encoder, TINY, x, expected_output_shape=(2, d), atol=1e-5)
    run_layer_test(EfficientNetB0Encoder, dict(TINY, return_frames=True), x, expected_output_shape=(2, 2, d),
                   atol=1e-5)


def test_output_shapes_for_any_length(tiny_encoder):
    d, n_mels = TINY["feature_d"], TINY["n_mels"]
    clip_model = tiny_encoder
    frames_model = EfficientNetB0Encoder(**TINY, return_frames=True)
    assert tuple(clip_model.input_shape) == (None, n_mels, None, 1)
    assert tuple(frames_model.output_shape) == (None, None, d)
    assert tuple(clip_model(_log_mel(n_mels, 7, batch=1)).shape) == (1, d)
    for t in (1, 32, 33, 100):
        assert tuple(frames_model(_log_mel(n_mels, t, batch=1)).shape) == (1, math.ceil(t / 32), d)


def test_the_application_needs_a_fixed_size():
    # Why the encoder clones the application (if this starts to pass, Keras fixed correct_pad).
    with pytest.raises(TypeError):
        _application(64, None)


@pytest.mark.parametrize("n_mels, frames", [(64, 96), (33, 45)])  # even / odd sides: both correct_pad cases
def test_equals_the_application_on_a_size_it_was_built_for(n_mels, frames):
    base = _application(n_mels, frames)
    rng = np.random.default_rng(7)
    for layer in base.layers:  # O(1) BatchNorm statistics, so the comparison is not of near-zeros
        if isinstance(layer, keras.layers.BatchNormalization):
            gamma, beta, mean, var = layer.get_weights()
            layer.set_weights([rng.uniform(0.8, 1.5, gamma.shape), rng.normal(0, 0.2, beta.shape),
                               rng.normal(0, 0.2, mean.shape), rng.uniform(0.5, 1.5, var.shape)])
    encoder = EfficientNetB0Encoder(feature_d=8, n_mels=n_mels)
    copied = 0
    for layer in base.layers:
        if layer.weights and not isinstance(layer, keras.layers.Normalization):
            encoder.get_layer(layer.name).set_weights(layer.get_weights())
            copied += 1
    assert copied == 81 + 49  # every conv (stem, 15 expand, 16 depthwise, 32 SE, 16 project, top) and BN
    x = _log_mel(n_mels, frames, seed=8)
    # The application rescales its input by 1/255 (and its unadapted Normalization is the identity).
    expected = keras.ops.convert_to_numpy(base(255.0 * x, training=False))
    trunk = keras.Model(encoder.input, encoder.get_layer("top_activation").output)
    got = keras.ops.convert_to_numpy(trunk(x, training=False))
    assert got.shape == expected.shape == (2, math.ceil(n_mels / 32), math.ceil(frames / 32), 1280)
    assert np.abs(expected).max() > 1e-2
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5 * np.abs(expected).max())


def test_clip_embedding_is_the_last_layers_time_pooling_of_the_frames(tiny_encoder):
    encoder = tiny_encoder
    pooling = final_time_pooling(encoder)
    assert pooling is encoder.layers[-1]
    assert time_downsampling(encoder) == 32
    x = _log_mel(TINY["n_mels"], 96, seed=1)  # 0.95 s -> the paper's T' = 3
    frames = keras.ops.convert_to_numpy(shared_frames_model(encoder)(x, training=False))
    assert frames.shape == (2, 3, TINY["feature_d"]) and np.all(np.abs(frames) <= 1.0)  # tanh
    np.testing.assert_allclose(frames.mean(axis=1), keras.ops.convert_to_numpy(encoder(x, training=False)),
                               atol=1e-6)


def test_cola_head_is_the_trunks_global_max_pool():
    # COLA's own encoder: EfficientNetB0(include_top=False, pooling="max"), 1280-d, no Dense.
    encoder = EfficientNetB0Encoder(feature_d=1280, n_mels=TINY["n_mels"], head="max")
    assert not any(isinstance(layer, keras.layers.Dense) for layer in encoder.layers)
    x = _log_mel(TINY["n_mels"], 96, seed=2)
    trunk = keras.ops.convert_to_numpy(
        keras.Model(encoder.input, encoder.get_layer("top_activation").output)(x, training=False))
    embedding = keras.ops.convert_to_numpy(encoder(x, training=False))
    assert embedding.shape == (2, 1280) and encoder.output_dim == 1280
    np.testing.assert_allclose(embedding, trunk.max(axis=(1, 2)), rtol=1e-6, atol=1e-6)
    frames = keras.ops.convert_to_numpy(shared_frames_model(encoder)(x, training=False))
    np.testing.assert_allclose(frames, trunk.max(axis=1), rtol=1e-6, atol=1e-6)
    clone = EfficientNetB0Encoder.from_config(encoder.get_config())
    assert clone.head == "max" and clone.output_dim == 1280
    with pytest.raises(ValueError, match="Received: feature_d=512"):
        EfficientNetB0Encoder(feature_d=512, head="max")
    with pytest.raises(ValueError, match="Received: head='avg'"):
        EfficientNetB0Encoder(head="avg")


def test_embedding_model_embeds_min_samples_into_at_least_one_frame(tiny_encoder):
    model = build_embedding_model(tiny_encoder, mean=-6.0, std=4.0)
    shortest = min_samples(model)
    assert shortest == 31 * 160
    wave = (0.1 * np.random.default_rng(4).standard_normal((2, shortest))).astype("float32")
    embedding = keras.ops.convert_to_numpy(model(wave))
    assert embedding.shape == (2, TINY["feature_d"]) and np.all(np.isfinite(embedding))
    frames = keras.ops.convert_to_numpy(build_frames_model(model)(wave))
    assert frames.shape == (2, 1, TINY["feature_d"])


def test_options_reach_the_layers():
    encoder = EfficientNetB0Encoder(**TINY, drop_connect_rate=0.1, synchronized_batch_norm=True)
    rates = [layer.rate for layer in encoder.layers if isinstance(layer, keras.layers.Dropout)]
    assert len(rates) == 9 and max(rates) == pytest.approx(0.1 * 14 / 16)  # 0.2 b / 16 (block6d: b = 14), rescaled
    norms = [layer for layer in encoder.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert len(norms) == 49 and all(type(n).__name__ == "FusedBatchNormalization" for n in norms)
    assert all(n.synchronized and n.epsilon == pytest.approx(1e-3) and n.momentum == pytest.approx(0.99)
               for n in norms)
    assert not any(isinstance(layer, keras.layers.ZeroPadding2D) for layer in encoder.layers)


@pytest.mark.parametrize(
    "kwargs, name",
    [({"feature_d": 0}, "feature_d"), ({"n_mels": 2.5}, "n_mels"), ({"drop_connect_rate": 1.0}, "drop_connect_rate")],
)
def test_bad_arguments_raise(kwargs, name):
    with pytest.raises(ValueError, match=f"`{name}`.*Received: {name}="):
        EfficientNetB0Encoder(**kwargs)


def test_registry_and_recipe_builder():
    assert "efficientnet_b0" in encoders.names()
    assert encoders.get_class("EfficientNetB0Encoder") is EfficientNetB0Encoder
    encoder = build_encoder("efficientnet_b0", 512)
    assert type(encoder) is EfficientNetB0Encoder and encoder.feature_d == 512 and encoder.n_mels == 64
    assert tuple(encoder.output_shape) == (None, 512)


# Loading its `.keras` file in a fresh process (after `import keras_audio_ssl` alone) is checked with every
# other kind in one process: tests/test_package.py::test_keras_files_load_after_a_bare_package_import.


@pytest.mark.large  # eager BYOL-A training steps; tests/methods/test_every_encoder.py trains every encoder by default
def test_trains_under_byol_a():
    samples = 2400  # 16 log-mel frames
    rng = np.random.default_rng(5)
    t = np.arange(samples) / 16000.0
    waves = 0.3 * np.sin(2 * np.pi * rng.uniform(200, 3000, (16, 1)) * t) + 0.05 * rng.standard_normal((16, samples))
    model = BYOLA(EfficientNetB0Encoder(**TINY), n_mels=TINY["n_mels"], projection_dim=8, hidden_dim=16,
                  memory_size=8, pre_norm_mean=-6.0, pre_norm_std=4.0, seed=0)
    # Eager steps: tracing B0's training graph takes ~25 s on a small CPU, the steps ~2 s each.
    # tests/methods/test_every_encoder.py trains it traced (multi-strategy method), and
    # tests/export/test_every_encoder.py exports it (SavedModel, builtin-op float TFLite).
    model.compile(optimizer=keras.optimizers.Adam(1e-3), run_eagerly=True)
    model.build((None, samples))
    before = [np.array(w) for w in model.encoder.get_weights()]
    data = tf.data.Dataset.from_tensor_slices(waves.astype("float32")).batch(8, drop_remainder=True)
    losses = model.fit(data, epochs=1, verbose=0).history["loss"]
    assert np.all(np.isfinite(losses)), losses
    after = model.encoder.get_weights()
    moved = sum(not np.allclose(a, b) for a, b in zip(before, after))
    assert moved > len(before) // 2, f"only {moved} of {len(before)} encoder weights moved"
