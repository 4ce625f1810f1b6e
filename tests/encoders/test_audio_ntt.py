import os

import keras
import numpy as np
import pytest

from keras_audio_ssl.encoders import AudioNTT2020
from keras_audio_ssl.encoders import AudioNTT2022


def _trainable_count(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


@pytest.mark.parametrize(
    "feature_d, expected", [(512, 600_192), (1024, 1_649_792), (2048, 5_321_856)]
)
def test_audio_ntt2020_parameter_counts_match_the_paper(feature_d, expected):
    assert _trainable_count(AudioNTT2020(feature_d=feature_d)) == expected


def test_audio_ntt2022_parameter_count_closed_form():
    model = AudioNTT2022()
    conv = (9 * 64 + 64) + 2 * 64 + (9 * 64 * 64 + 64) + 2 * 64
    conv_d = 64 * 16
    mlp = (conv_d * 2048 + 2048) + (2048 * (3072 - conv_d) + (3072 - conv_d))
    assert _trainable_count(model) == conv + mlp


@pytest.mark.parametrize("frames", [96, 40, 8])
def test_output_shapes_for_any_time_divisible_by_8(frames):
    x = np.random.default_rng(0).standard_normal((2, 64, frames, 1)).astype("float32")
    assert tuple(AudioNTT2020(feature_d=32)(x).shape) == (2, 32)
    framed = AudioNTT2020(feature_d=32, return_frames=True)(x)
    assert tuple(framed.shape) == (2, frames // 8, 32)
    assert tuple(AudioNTT2022(feature_d=1100, mlp_hidden_d=16)(x).shape) == (2, 1100)
    framed = AudioNTT2022(feature_d=1100, mlp_hidden_d=16, return_frames=True)(x)
    assert tuple(framed.shape) == (2, frames // 4, 1100)


def test_symbolic_time_axis_is_unknown():
    model = AudioNTT2020(feature_d=16, return_frames=True)
    assert tuple(model.input_shape) == (None, 64, None, 1)
    assert tuple(model.output_shape) == (None, None, 16)


def test_batch_norm_settings_match_pytorch_defaults():
    model = AudioNTT2020(feature_d=16)
    norms = [l for l in model.layers if isinstance(l, keras.layers.BatchNormalization)]
    assert len(norms) == 3
    for layer in norms:
        assert layer.epsilon == 1e-5
        assert layer.momentum == pytest.approx(0.9)


def test_flatten_order_and_mlp_match_the_official_torch_layout():
    # NumPy re-implementation of the official forward after the conv stack:
    # torch [B, C, F, T] -> permute(0, 3, 2, 1) -> reshape(B, T, F * C) -> fc.
    model = AudioNTT2020(feature_d=24)
    x = np.random.default_rng(1).standard_normal((3, 64, 32, 1)).astype("float32")
    conv_out = keras.Model(model.input, model.get_layer("block3_pool").output)(x)
    conv_out = keras.ops.convert_to_numpy(conv_out)  # [B, F', T', C]
    torch_layout = conv_out.transpose(0, 3, 1, 2)  # [B, C, F', T']
    b, c, f, t = torch_layout.shape
    frames = torch_layout.transpose(0, 3, 2, 1).reshape(b, t, f * c)
    w1, b1 = model.get_layer("fc1").get_weights()
    w2, b2 = model.get_layer("fc2").get_weights()
    h = np.maximum(frames @ w1 + b1, 0.0)
    h = np.maximum(h @ w2 + b2, 0.0)
    expected = h.max(axis=1) + h.mean(axis=1)
    got = keras.ops.convert_to_numpy(model(x, training=False))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_audio_ntt2022_stacks_conv_and_mlp_features():
    model = AudioNTT2022(feature_d=1100, mlp_hidden_d=16, return_frames=True)
    x = np.random.default_rng(2).standard_normal((2, 64, 16, 1)).astype("float32")
    frames = keras.ops.convert_to_numpy(model(x, training=False))
    conv = keras.ops.convert_to_numpy(
        keras.Model(model.input, model.get_layer("frames_flatten").output)(x)
    )
    np.testing.assert_allclose(frames[..., :1024], conv, atol=1e-6)
    assert frames.shape[-1] == 1100


@pytest.mark.parametrize("cls", [AudioNTT2020, AudioNTT2022])
def test_keras_save_load_round_trip(cls, tmp_path):
    kwargs = {"feature_d": 1040, "mlp_hidden_d": 8} if cls is AudioNTT2022 else {"feature_d": 16}
    model = cls(**kwargs)
    x = np.random.default_rng(3).standard_normal((2, 64, 24, 1)).astype("float32")
    before = keras.ops.convert_to_numpy(model(x, training=False))
    path = os.path.join(tmp_path, "encoder.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded, cls)
    assert loaded.get_config() == model.get_config()
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loaded(x, training=False)), before, atol=1e-6
    )


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"feature_d": 0}, "feature_d"),
        ({"n_mels": 60}, "n_mels"),
        ({"feature_d": 2.5}, "feature_d"),
    ],
)
def test_bad_arguments_raise(kwargs, name):
    with pytest.raises(ValueError, match=f"Received: {name}="):
        AudioNTT2020(**kwargs)


def test_audio_ntt2022_rejects_too_small_feature_d():
    with pytest.raises(ValueError, match="Received: feature_d=512"):
        AudioNTT2022(feature_d=512)
