"""ResNet18, VGGLike and CRNN: the encoders of Fonseca et al. (ICASSP 2021), on tiny settings."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_audio_ssl import encoders
from keras_audio_ssl.encoders import CRNN
from keras_audio_ssl.encoders import AudioNTT2020
from keras_audio_ssl.encoders import FrequencyPooling
from keras_audio_ssl.encoders import LastFramePooling
from keras_audio_ssl.encoders import ResNet18
from keras_audio_ssl.encoders import VGGLike
from keras_audio_ssl.encoders import build_embedding_model
from keras_audio_ssl.encoders.embedding_model_parts import build_frames_model
from keras_audio_ssl.encoders.embedding_model_parts import final_time_pooling
from keras_audio_ssl.encoders.embedding_model_parts import min_samples
from keras_audio_ssl.encoders.embedding_model_parts import shared_frames_model
from keras_audio_ssl.encoders.embedding_model_parts import time_downsampling
from keras_audio_ssl.methods import BYOLA
from keras_audio_ssl.recipes.run import build_encoder
from tests.test_case import run_layer_test

# Tiny settings: (class, kwargs, frames T' for T log-mel frames).
TINY = {
    "resnet18": (ResNet18, dict(feature_d=16, n_mels=16), lambda t: math.ceil(t / 32)),
    "vgg_like": (VGGLike, dict(feature_d=8, n_mels=16), lambda t: t // 8),
    "crnn": (CRNN, dict(feature_d=8, n_mels=40, filters=8), lambda t: t // 8),
}


def _trainable_count(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def _log_mel(n_mels, frames, batch=2, seed=0):
    return np.random.default_rng(seed).standard_normal((batch, n_mels, frames, 1)).astype("float32")


def _resnet18_closed_form(d):
    # Trainable weights of He et al.'s ResNet-18 with one input channel, no fc: widths d/8 .. d.
    w = [d // 8 * 2**i for i in range(4)]
    bn = lambda c: 2 * c  # noqa: E731 - gamma and beta
    total = 49 * w[0] + bn(w[0])  # 7x7 stem
    c_in = w[0]
    for c in w:
        total += 9 * c_in * c + bn(c) + 9 * c * c + bn(c)  # first block
        if c != c_in:
            total += c_in * c + bn(c)  # 1x1 downsample shortcut
        total += 2 * (9 * c * c + bn(c))  # second block
        c_in = c
    return total


def _vgg_like_closed_form(d):
    convs = [(1, 32), (32, 32), (32, 32), (32, 64), (64, 64), (64, 128)]
    return sum(9 * a * b + 2 * b for a, b in convs) + 256 * d + d


def _crnn_closed_form(d, n_mels, c=128):
    freq = n_mels // 5 // 4 // 2
    return 25 * c + 50 * c * c + 6 * c + 2 * 3 * d * (c * freq + d + 2)


def test_parameter_counts_at_the_defaults():
    # The paper: ResNet-18 11 M, VGG-like 0.3 M, CRNN 1 M weights.
    assert _trainable_count(ResNet18()) == _resnet18_closed_form(512) == 11_170_240
    assert _trainable_count(VGGLike()) == _vgg_like_closed_form(512) == 280_032
    assert _trainable_count(CRNN()) == _crnn_closed_form(64, 64) == 897_664
    assert _crnn_closed_form(64, 96) == 946_816  # the paper's 96 mels


@pytest.mark.parametrize(
    "model, expected",
    [
        (lambda: ResNet18(feature_d=64, n_mels=16), _resnet18_closed_form(64)),
        (lambda: VGGLike(feature_d=24, n_mels=16), _vgg_like_closed_form(24)),
        (lambda: CRNN(feature_d=8, n_mels=96, filters=16), _crnn_closed_form(8, 96, 16)),
        (lambda: CRNN(feature_d=8, n_mels=80, filters=4), _crnn_closed_form(8, 80, 4)),
    ],
)
def test_parameter_counts_closed_form(model, expected):
    assert _trainable_count(model()) == expected


@pytest.mark.parametrize("name", sorted(TINY))
def test_layer_contract(name):
    cls, kwargs, frames_of = TINY[name]
    x = _log_mel(kwargs["n_mels"], 24)
    run_layer_test(cls, kwargs, x, expected_output_shape=(2, kwargs["feature_d"]), atol=1e-5)
    run_layer_test(
        cls, dict(kwargs, return_frames=True), x, expected_output_shape=(2, frames_of(24), kwargs["feature_d"]),
        atol=1e-5,
    )


@pytest.mark.parametrize("name", sorted(TINY))
def test_output_shapes_for_several_lengths(name):
    cls, kwargs, frames_of = TINY[name]
    d, n_mels = kwargs["feature_d"], kwargs["n_mels"]
    clip_model = cls(**kwargs)
    frames_model = cls(**kwargs, return_frames=True)
    assert tuple(clip_model.input_shape) == (None, n_mels, None, 1)
    assert tuple(frames_model.output_shape) == (None, None, d)
    for t in (8, 20, 33, 64):
        x = _log_mel(n_mels, t, batch=1)
        assert tuple(clip_model(x).shape) == (1, d)
        assert tuple(frames_model(x).shape) == (1, frames_of(t), d)


@pytest.mark.parametrize("name", sorted(TINY))
def test_clip_embedding_is_the_last_layers_time_pooling_of_the_frames(name):
    # What the frame-level methods and the frames signature rely on.
    cls, kwargs, _ = TINY[name]
    encoder = cls(**kwargs)
    pooling = final_time_pooling(encoder)
    assert pooling is encoder.layers[-1]
    x = _log_mel(kwargs["n_mels"], 40, seed=1)
    frames = shared_frames_model(encoder)(x, training=False)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(pooling(frames)), keras.ops.convert_to_numpy(encoder(x, training=False)),
        atol=1e-6,
    )


def test_resnet18_embedding_is_the_global_average_of_the_last_stage():
    # The official model: AdaptiveAvgPool2d over frequency and time.
    encoder = ResNet18(feature_d=16, n_mels=16)
    x = _log_mel(16, 70, seed=2)
    last_stage = keras.Model(encoder.input, encoder.get_layer("layer4_1_relu2").output)(x, training=False)
    expected = keras.ops.convert_to_numpy(last_stage).mean(axis=(1, 2))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(encoder(x, training=False)), expected, atol=1e-6)


def test_crnn_embedding_is_forward_state_times_backward_last_output():
    encoder = CRNN(**TINY["crnn"][1])
    x = _log_mel(40, 32, seed=3)
    conv_frames = keras.Model(encoder.input, encoder.get_layer("frames_flatten").output)(x)
    rnn = encoder.get_layer("rnn1")
    forward = rnn.forward_layer(conv_frames)[:, -1]
    backward_of_last_step = rnn.backward_layer(conv_frames[:, -1:])[:, -1]  # go_backwards over the last frame only
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(encoder(x, training=False)),
        keras.ops.convert_to_numpy(forward * backward_of_last_step),
        atol=1e-6,
    )


def test_batch_norm_settings_match_pytorch_defaults():
    for cls, kwargs, _ in TINY.values():
        norms = [l for l in cls(**kwargs).layers if isinstance(l, keras.layers.BatchNormalization)]
        assert norms
        for layer in norms:
            assert type(layer).__name__ == "FusedBatchNormalization"
            assert layer.epsilon == 1e-5 and layer.momentum == pytest.approx(0.9)


def test_time_downsampling_counts_strided_convolutions_once_per_path():
    assert time_downsampling(ResNet18(feature_d=16, n_mels=16)) == 32  # conv1, maxpool, layer2-4
    assert time_downsampling(VGGLike(**TINY["vgg_like"][1])) == 8
    assert time_downsampling(CRNN(**TINY["crnn"][1])) == 8
    assert time_downsampling(AudioNTT2020(feature_d=8)) == 8  # unchanged


@pytest.mark.parametrize("name", sorted(TINY))
def test_embedding_model_embeds_min_samples_into_at_least_one_frame(name):
    cls, kwargs, _ = TINY[name]
    model = build_embedding_model(cls(**kwargs), mean=-6.0, std=4.0)
    shortest = min_samples(model)
    wave = (0.1 * np.random.default_rng(4).standard_normal((2, shortest))).astype("float32")
    embedding = keras.ops.convert_to_numpy(model(wave))
    assert embedding.shape == (2, kwargs["feature_d"]) and np.all(np.isfinite(embedding))
    frames = keras.ops.convert_to_numpy(build_frames_model(model)(wave))
    assert frames.shape[0] == 2 and frames.shape[1] >= 1 and frames.shape[2] == kwargs["feature_d"]


@pytest.mark.parametrize(
    "cls, kwargs, name",
    [
        (ResNet18, {"feature_d": 20}, "feature_d"),
        (ResNet18, {"feature_d": 0}, "feature_d"),
        (ResNet18, {"n_mels": 0}, "n_mels"),
        (VGGLike, {"n_mels": 4}, "n_mels"),
        (VGGLike, {"feature_d": 2.5}, "feature_d"),
        (CRNN, {"n_mels": 32}, "n_mels"),
        (CRNN, {"filters": 0}, "filters"),
        (CRNN, {"feature_d": True}, "feature_d"),
    ],
)
def test_bad_arguments_raise(cls, kwargs, name):
    with pytest.raises(ValueError, match=f"`{name}`.*Received: {name}="):
        cls(**kwargs)


def test_pooling_layers():
    x = np.random.default_rng(6).standard_normal((2, 4, 6, 3)).astype("float32")
    out = run_layer_test(FrequencyPooling, {"mode": "max_mean"}, x, expected_output_shape=(2, 6, 6))
    np.testing.assert_allclose(out, np.concatenate([x.max(axis=1), x.mean(axis=1)], axis=-1), atol=1e-6)
    run_layer_test(FrequencyPooling, {"mode": "mean"}, x, expected_output_shape=(2, 6, 3))
    frames = x[:, 0]
    np.testing.assert_array_equal(run_layer_test(LastFramePooling, {}, frames, expected_output_shape=(2, 3)),
                                  frames[:, -1])
    with pytest.raises(ValueError, match="Received: mode='sum'"):
        FrequencyPooling("sum")


@pytest.mark.parametrize("name, cls", [("resnet18", ResNet18), ("vgg_like", VGGLike), ("crnn", CRNN)])
def test_registry_and_recipe_builder(name, cls):
    assert name in encoders.names()
    assert encoders.get_class(cls.__name__) is cls
    n_mels = TINY[name][1]["n_mels"]
    encoder = build_encoder(name, 16, n_mels=n_mels)
    assert type(encoder) is cls and encoder.feature_d == 16 and encoder.n_mels == n_mels
    assert tuple(encoder.output_shape) == (None, 16)


SAMPLES = 2400  # 16 log-mel frames


@pytest.mark.large  # BYOL-A steps per encoder; tests/methods/test_every_encoder.py trains each one by default
@pytest.mark.parametrize("name", sorted(TINY))
def test_trains_under_byol_a(name):
    cls, kwargs, _ = TINY[name]
    rng = np.random.default_rng(5)
    t = np.arange(SAMPLES) / 16000.0
    waves = 0.3 * np.sin(2 * np.pi * rng.uniform(200, 3000, (16, 1)) * t) + 0.05 * rng.standard_normal((16, SAMPLES))
    model = BYOLA(cls(**kwargs), n_mels=kwargs["n_mels"], projection_dim=8, hidden_dim=16, memory_size=8,
                  pre_norm_mean=-6.0, pre_norm_std=4.0, seed=0)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    model.build((None, SAMPLES))
    before = [np.array(w) for w in model.encoder.get_weights()]
    data = tf.data.Dataset.from_tensor_slices(waves.astype("float32")).batch(8, drop_remainder=True)
    losses = model.fit(data, epochs=2, verbose=0).history["loss"]
    assert np.all(np.isfinite(losses)), losses
    after = model.encoder.get_weights()
    moved = sum(not np.allclose(a, b) for a, b in zip(before, after))
    assert moved > len(before) // 2, f"only {moved} of {len(before)} encoder weights moved"
