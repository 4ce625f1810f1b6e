"""SlowFastNFNetF0, the HARES encoder: NFNet-F0 layout, weight standardization, shapes, training, export."""

import inspect
import math
import os
import tempfile

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_audio_ssl import encoders
from keras_audio_ssl.encoders import SlowFastNFNetF0
from keras_audio_ssl.encoders import build_embedding_model
from keras_audio_ssl.encoders.embedding_model_parts import build_frames_model
from keras_audio_ssl.encoders.embedding_model_parts import final_time_pooling
from keras_audio_ssl.encoders.embedding_model_parts import find_encoder
from keras_audio_ssl.encoders.embedding_model_parts import min_samples
from keras_audio_ssl.encoders.embedding_model_parts import shared_frames_model
from keras_audio_ssl.encoders.embedding_model_parts import time_downsampling
from keras_audio_ssl.encoders.slowfast_nfnet import ACTIVATION_GAMMAS
from keras_audio_ssl.encoders.slowfast_nfnet import NFResidual
from keras_audio_ssl.encoders.slowfast_nfnet import NFSqueezeExcite
from keras_audio_ssl.encoders.slowfast_nfnet import ScaledActivation
from keras_audio_ssl.encoders.slowfast_nfnet import WSConv2D
from keras_audio_ssl.methods import BYOLA
from keras_audio_ssl.recipes.run import build_encoder
from tests.test_case import run_layer_test

# 1/8 width (slow 32-64-192-192, fast 4-8-24-24: d = 216), one block per stage.
TINY = dict(n_mels=16, width_multiplier=0.125, stage_depths=(1, 1, 1, 1))
TINY_D = 192 + 24
FULL_PARAMS = 66_362_798


def _log_mel(n_mels, frames, batch=2, seed=0):
    return np.random.default_rng(seed).standard_normal((batch, n_mels, frames, 1)).astype("float32")


def _trainable_count(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def _walk(model):
    for layer in model.layers:
        yield layer
        if hasattr(layer, "layers"):
            yield from _walk(layer)
        for attr in ("fc0", "fc1"):  # NFSqueezeExcite's Dense layers
            if hasattr(layer, attr):
                yield getattr(layer, attr)


@pytest.fixture(scope="module")
def full_model():
    return SlowFastNFNetF0()


# --- NFNet-F0 layout, read from the built full-size model -------------------------


def _nfnet_closed_form(scale=1.0, lateral_in=(0, 0, 0, 0), depths=(1, 2, 6, 3)):
    # Trainable weights of one NFNet pathway (no head); every conv is WS: kernel + bias + gain.
    def conv(k, c_in, c_out, groups=1):
        return k * c_in // groups * c_out + 2 * c_out

    width = lambda w: max(1, round(w * scale))  # noqa: E731
    total, c = 0, 1
    for w in (16, 32, 64, 128):
        total += conv(9, c, width(w))
        c = width(w)
    for stage, (w, depth) in enumerate(zip((256, 512, 1536, 1536), depths)):
        c += lateral_in[stage]
        out, group = width(w), width(128)
        groups = out // 2 // group
        for block in range(depth):
            if (block == 0 and stage > 0) or c != out:
                total += conv(1, c, out)  # shortcut projection
            inner = group * groups
            total += conv(1, c, inner) + 2 * conv(9, inner, inner, groups) + conv(1, inner, out)
            total += 2 * out * (out // 2) + out // 2 + out + 1  # SE fc0, fc1 + skip gain
            c = out
    return total, c


def test_full_size_parameter_count_and_width(full_model):
    # NFNet-F0 itself (with its final 1x1 conv to 3072 and a 1000-way classifier) is timm's 71.49 M.
    body, c = _nfnet_closed_form()
    assert body + (c * 2 * c + 4 * c) + (2 * c * 1000 + 1000) == 71_488_996
    laterals = [2 * w // 8 for w in (128, 256, 512, 1536)]  # 2 beta C into Slow after the stem and stages 1-3
    slow, _ = _nfnet_closed_form(1.0, laterals)
    fast, _ = _nfnet_closed_form(1 / 8)
    lateral_convs = sum(5 * (c // 2) * c + 2 * c for c in laterals)
    assert _trainable_count(full_model) == slow + fast + lateral_convs == FULL_PARAMS
    assert not full_model.non_trainable_weights
    assert full_model.output_dim == 1536 + 192 == 1728
    assert tuple(full_model.output_shape) == (None, 1728)


def test_no_normalization_layer_and_every_conv_is_weight_standardized(full_model):
    norms = (keras.layers.BatchNormalization, keras.layers.LayerNormalization, keras.layers.GroupNormalization)
    all_layers = list(_walk(full_model))
    assert not [layer.name for layer in all_layers if isinstance(layer, norms)]
    convs = [layer for layer in all_layers if isinstance(layer, keras.layers.Conv2D)]
    assert len(convs) > 100 and all(type(layer) is WSConv2D for layer in convs)
    assert all(layer.use_bias for layer in convs)


@pytest.mark.parametrize("path, scale", [("slow", 1), ("fast", 1 / 8)])
def test_stage_widths_strides_and_depths_are_nfnet_f0(full_model, path, scale):
    layer = full_model.get_layer
    stem = [layer(f"{path}_stem_conv{i}") for i in range(4)]
    assert [c.filters for c in stem] == [round(w * scale) for w in (16, 32, 64, 128)]
    assert [c.strides for c in stem] == [(2, 2), (1, 1), (1, 1), (2, 2)]  # NFNet's stem, both axes
    names = [l.name for l in full_model.layers]
    depths = [sum(n.startswith(f"{path}_stage{s}_block") and n.endswith("_conv2") for n in names) for s in (1, 2, 3, 4)]
    assert depths == [1, 2, 6, 3]
    for stage, (width, stride, groups) in enumerate(zip((256, 512, 1536, 1536), (1, 2, 2, 2), (1, 2, 6, 6))):
        for block in range(depths[stage]):
            prefix = f"{path}_stage{stage + 1}_block{block}"
            conv1 = layer(f"{prefix}_conv1")
            assert layer(f"{prefix}_conv2").filters == round(width * scale)
            assert conv1.filters == round(width * scale) // 2  # bottleneck ratio 0.5
            assert conv1.groups == groups and conv1.filters // groups == round(128 * scale)  # group width
            assert conv1.kernel_size == (3, 3) and layer(f"{prefix}_conv1b").groups == groups
            # NFNet's stride, on frequency; time keeps its resolution in the stages.
            assert conv1.strides == ((stride, 1) if block == 0 else (1, 1))
            assert layer(f"{prefix}_se").se_ratio == 0.5
            residual = layer(f"{prefix}_residual")
            assert residual.alpha == pytest.approx(0.2) and float(residual.skip_gain.numpy()) == 0.0


def test_betas_follow_the_expected_std_and_stochastic_depth_rises(full_model):
    alpha = 0.2
    for path in ("slow", "fast"):
        index, depths = 0, (1, 2, 6, 3)
        for stage, depth in enumerate(depths):
            for block in range(depth):
                # NFNet: the std grows by alpha^2 per block since the last transition block,
                # which resets it after itself (so a stage's first block sees the previous stage's growth).
                grown = block if block else (depths[stage - 1] if stage else 0)
                expected_std = math.sqrt(1 + grown * alpha**2)
                prefix = f"{path}_stage{stage + 1}_block{block}"
                act = full_model.get_layer(f"{prefix}_act0")
                assert act.activation == "gelu" and act.scale == pytest.approx(1 / expected_std)
                assert full_model.get_layer(f"{prefix}_residual").drop_rate == pytest.approx(0.1 * index / 12)
                index += 1


def test_slowfast_pathways_and_lateral_connections(full_model):
    subsample = full_model.get_layer("slow_time_subsample")
    assert subsample.pool_size == (1, 1) and subsample.strides == (1, 4)
    for name, fast_width in [("stem", 16), ("stage1", 32), ("stage2", 64), ("stage3", 192)]:
        conv = full_model.get_layer(f"lateral_{name}_conv")
        assert conv.kernel_size == (1, 5) and conv.strides == (1, 4) and conv.filters == 2 * fast_width
    with pytest.raises(ValueError):
        full_model.get_layer("lateral_stage4_conv")
    # The Slow stage after a lateral takes C + 2 C / 8 channels.
    assert full_model.get_layer("slow_stage1_block0_conv0").kernel.shape[2] == 128 + 32
    assert full_model.get_layer("slow_stage4_block0_conv0").kernel.shape[2] == 1536 + 384
    assert time_downsampling(full_model) == 16


# --- the layers -------------------------------------------------------------


@pytest.mark.parametrize("kernel_size, c_in, c_out, groups", [(3, 4, 6, 1), (3, 12, 18, 6), ((1, 5), 3, 8, 1)])
def test_weight_standardization(kernel_size, c_in, c_out, groups):
    rng = np.random.default_rng(0)
    conv = WSConv2D(c_out, kernel_size, padding="same", groups=groups)
    conv.build((None, 10, 12, c_in))
    conv.kernel.assign(3.0 + 5.0 * rng.standard_normal(conv.kernel.shape).astype("float32"))
    gain = rng.uniform(0.5, 2.0, c_out).astype("float32")
    conv.gain.assign(gain)
    conv.bias.assign(rng.standard_normal(c_out).astype("float32"))
    w_hat = keras.ops.convert_to_numpy(conv.standardized_kernel())
    fan_in = int(np.prod(conv.kernel.shape[:-1]))
    assert fan_in == np.prod(np.broadcast_to(kernel_size, 2)) * c_in // groups
    # Accounting for the gain and the 1/sqrt(fan_in) scale: zero mean, unit variance per output channel.
    unit = (w_hat * np.sqrt(fan_in) / gain).reshape(fan_in, c_out)
    np.testing.assert_allclose(unit.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(unit.var(axis=0), 1.0, rtol=1e-4)
    # The convolution is a plain (grouped) Conv2D with W_hat.
    x = rng.standard_normal((2, 10, 12, c_in)).astype("float32")
    plain = keras.layers.Conv2D(c_out, kernel_size, padding="same", groups=groups)
    plain.build(x.shape)
    plain.set_weights([w_hat, conv.bias.numpy()])
    np.testing.assert_allclose(np.asarray(conv(x)), np.asarray(plain(x)), atol=1e-4)


def test_ws_conv_saves_its_gain(tmp_path):
    inp = keras.Input((8, None, 3))
    conv = WSConv2D(4, 3, strides=(2, 1), padding="same", groups=1, name="ws")
    model = keras.Model(inp, conv(inp))
    conv.gain.assign(np.arange(1, 5, dtype="float32"))
    x = _log_mel(8, 6)[..., [0, 0, 0]]
    model.save(tmp_path / "ws.keras")
    loaded = keras.saving.load_model(tmp_path / "ws.keras")
    np.testing.assert_array_equal(loaded.get_layer("ws").gain.numpy(), [1, 2, 3, 4])
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(model(x)), atol=1e-6)


def test_layer_contracts():
    x = _log_mel(8, 6, seed=1)[..., [0, 0, 0, 0]] + _log_mel(8, 6, seed=2)
    run_layer_test(WSConv2D, dict(filters=6, kernel_size=3, padding="same", groups=2, eps=1e-4), x,
                   expected_output_shape=(2, 8, 6, 6), atol=1e-5)
    run_layer_test(ScaledActivation, dict(activation="relu", scale=0.5), x, expected_output_shape=x.shape)
    run_layer_test(NFSqueezeExcite, dict(se_ratio=0.5), x, expected_output_shape=x.shape, atol=1e-5)
    # NFResidual takes [residual, shortcut]: its contract by hand.
    layer = NFResidual(alpha=0.2, drop_rate=0.3, seed=1)
    np.testing.assert_allclose(np.asarray(layer([x, 2 * x])), 2 * x)  # skip gain 0: the identity at initialisation
    assert NFResidual.from_config(layer.get_config()).get_config() == layer.get_config()
    inputs = [keras.Input(x.shape[1:]), keras.Input(x.shape[1:])]
    model = keras.Model(inputs, NFResidual(alpha=0.2, name="res")(inputs))
    model.get_layer("res").skip_gain.assign(0.7)
    path = os.path.join(tempfile.mkdtemp(), "res.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert float(loaded.get_layer("res").skip_gain.numpy()) == pytest.approx(0.7)
    np.testing.assert_allclose(np.asarray(loaded([x, 2 * x])), 2 * x + 0.14 * x, atol=1e-6)


def test_scaled_activations_keep_unit_variance():
    z = np.random.default_rng(0).standard_normal(400_000).astype("float32")
    for name, gamma in ACTIVATION_GAMMAS.items():
        y = np.asarray(ScaledActivation(name)(z))
        assert y.var() == pytest.approx(1.0, abs=0.01), name
        np.testing.assert_allclose(np.asarray(ScaledActivation(name, scale=2.0)(z)), 2 * y, rtol=1e-6)
    # NFNet's GELU is the tanh approximation (jax.nn.gelu's default).
    x = np.linspace(-4, 4, 9).astype("float32")
    tanh_gelu = 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))
    np.testing.assert_allclose(np.asarray(ScaledActivation("gelu")(x)), 1.7015043497085571 * tanh_gelu,
                               rtol=1e-5, atol=1e-6)


def test_stochastic_depth_drops_whole_examples_in_training_only():
    layer = NFResidual(alpha=0.2, drop_rate=0.5, seed=3)
    residual, shortcut = np.ones((256, 2, 3, 4), "float32"), np.zeros((256, 2, 3, 4), "float32")
    layer.build([residual.shape, shortcut.shape])
    layer.skip_gain.assign(1.0)
    np.testing.assert_allclose(np.asarray(layer([residual, shortcut])), 0.2)
    out = np.asarray(layer([residual, shortcut], training=True)).reshape(256, -1)
    per_example = out[:, 0]
    assert np.all(out == per_example[:, None])
    assert np.all(np.isclose(per_example, 0.0) | np.isclose(per_example, 0.2)) and 0.3 < np.mean(per_example == 0) < 0.7


# --- the model ----------------------------------------------------------------


def test_model_layer_contract():
    x = _log_mel(16, 24)
    run_layer_test(SlowFastNFNetF0, TINY, x, expected_output_shape=(2, TINY_D), atol=1e-5)
    run_layer_test(SlowFastNFNetF0, dict(TINY, return_frames=True), x, expected_output_shape=(2, 2, TINY_D),
                   atol=1e-5)


def test_output_shapes_for_several_lengths():
    clip_model = SlowFastNFNetF0(**TINY)
    frames_model = SlowFastNFNetF0(**TINY, return_frames=True)
    assert tuple(clip_model.input_shape) == (None, 16, None, 1)
    assert tuple(frames_model.output_shape) == (None, None, TINY_D)
    for t in (1, 15, 16, 17, 33, 64, 100):
        x = _log_mel(16, t, batch=1)
        assert tuple(clip_model(x).shape) == (1, TINY_D)
        assert tuple(frames_model(x).shape) == (1, math.ceil(t / 16), TINY_D)


def test_other_n_mels_and_widths():
    model = SlowFastNFNetF0(n_mels=40, width_multiplier=0.0625, stage_depths=(2, 1, 1, 1), activation="relu")
    assert tuple(model(_log_mel(40, 20)).shape) == (2, 96 + 12)


def test_clip_embedding_is_the_last_layers_time_pooling_of_the_frames():
    encoder = SlowFastNFNetF0(**TINY)
    pooling = final_time_pooling(encoder)
    assert pooling is encoder.layers[-1]
    x = _log_mel(16, 40, seed=1)
    frames = shared_frames_model(encoder)(x, training=False)
    np.testing.assert_allclose(np.asarray(pooling(frames)), np.asarray(encoder(x, training=False)), atol=1e-6)


def test_embedding_is_the_global_average_of_both_pathways():
    # ceil(T/4) a multiple of 4: the Fast frames' 4-by-4 averages tile its frames exactly.
    encoder = SlowFastNFNetF0(**TINY)
    for layer in encoder.layers:  # leave the identity of the initial skip gains
        if isinstance(layer, NFResidual):
            layer.skip_gain.assign(0.5)
    x = _log_mel(16, 64, seed=2)
    ends = keras.Model(encoder.input, [encoder.get_layer(f"{p}_final_act").output for p in ("slow", "fast")])
    slow, fast = (np.asarray(t) for t in ends(x, training=False))
    assert slow.shape[1:] == (1, 4, 192) and fast.shape[1:] == (1, 16, 24)
    expected = np.concatenate([slow.mean(axis=(1, 2)), fast.mean(axis=(1, 2))], axis=-1)
    np.testing.assert_allclose(np.asarray(encoder(x, training=False)), expected, atol=1e-5)


def test_min_samples_gives_one_frame():
    model = build_embedding_model(SlowFastNFNetF0(**TINY), mean=-6.0, std=4.0)
    assert time_downsampling(find_encoder(model)) == 16
    shortest = min_samples(model)
    assert shortest == 15 * 160
    wave = (0.1 * np.random.default_rng(4).standard_normal((2, shortest))).astype("float32")
    embedding = np.asarray(model(wave))
    assert embedding.shape == (2, TINY_D) and np.all(np.isfinite(embedding))
    frames = np.asarray(build_frames_model(model)(wave))
    assert frames.shape == (2, 1, TINY_D)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"n_mels": 0}, "n_mels"),
        ({"width_multiplier": 0}, "width_multiplier"),
        ({"width_multiplier": "1"}, "width_multiplier"),
        ({"stage_depths": (1, 2, 6)}, "stage_depths"),
        ({"stage_depths": (1, 0, 1, 1)}, "stage_depths"),
        ({"stochastic_depth_rate": 1.0}, "stochastic_depth_rate"),
        ({"activation": "swish"}, "activation"),
        ({"alpha": -0.2}, "alpha"),
    ],
)
def test_bad_arguments_raise(kwargs, name):
    with pytest.raises(ValueError, match=f"`{name}`.*Received: {name}="):
        SlowFastNFNetF0(**dict(TINY, **kwargs))


def test_registry_and_recipe_builder():
    assert "slowfast_nfnet_f0" in encoders.names()
    assert encoders.get_class("SlowFastNFNetF0") is SlowFastNFNetF0
    # The width follows from the architecture: build_encoder passes no feature_d (None or a recipe's 2048).
    assert "feature_d" not in inspect.signature(SlowFastNFNetF0.__init__).parameters
    encoder = build_encoder("slowfast_nfnet_f0", 2048, n_mels=32)
    assert type(encoder) is SlowFastNFNetF0 and encoder.n_mels == 32 and encoder.output_dim == 1728
    assert tuple(encoder.input_shape) == (None, 32, None, 1)


SAMPLES = 2400  # 16 log-mel frames


@pytest.mark.large  # BYOL-A training steps; tests/methods/test_every_encoder.py trains every encoder by default
def test_trains_under_byol_a():
    rng = np.random.default_rng(5)
    t = np.arange(SAMPLES) / 16000.0
    waves = 0.3 * np.sin(2 * np.pi * rng.uniform(200, 3000, (16, 1)) * t) + 0.05 * rng.standard_normal((16, SAMPLES))
    model = BYOLA(SlowFastNFNetF0(**TINY, seed=0), n_mels=16, projection_dim=8, hidden_dim=16, memory_size=8,
                  pre_norm_mean=-6.0, pre_norm_std=4.0, seed=0)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), jit_compile=False)  # XLA compiling costs more than it saves
    model.build((None, SAMPLES))
    before = [np.array(w) for w in model.encoder.trainable_weights]
    data = tf.data.Dataset.from_tensor_slices(waves.astype("float32")).batch(8, drop_remainder=True)
    losses = model.fit(data, epochs=2, verbose=0).history["loss"]
    assert np.all(np.isfinite(losses)), losses
    after = model.encoder.trainable_weights
    moved = sum(not np.allclose(a, np.asarray(b)) for a, b in zip(before, after))
    assert moved > len(before) // 2, f"only {moved} of {len(before)} encoder weights moved"
    gains = [float(l.skip_gain.numpy()) for l in model.encoder.layers if isinstance(l, NFResidual)]
    assert any(g != 0.0 for g in gains)  # the blocks leave the identity


# Loading its `.keras` file in a fresh process (after `import keras_audio_ssl` alone) is checked with every
# other kind in one process: tests/test_package.py::test_keras_files_load_after_a_bare_package_import.


def test_savedmodel_and_builtin_tflite_agree_with_keras(tmp_path):
    from keras_audio_ssl.export import export_savedmodel
    from keras_audio_ssl.export import export_tflite
    from keras_audio_ssl.export.tflite import tflite_builtin_only
    from tests.export.test_tflite import run_tflite

    model = build_embedding_model(SlowFastNFNetF0(**TINY), mean=-6.0, std=4.0)
    for layer in find_encoder(model).layers:
        if isinstance(layer, NFResidual):
            layer.skip_gain.assign(0.3)
    x = (0.1 * np.random.default_rng(1).standard_normal((2, 16000))).astype(np.float32)
    expected = np.asarray(model(x, training=False))

    # The `frames` signature (a second trace, ~7 s) is checked by tests/export/test_every_encoder.py.
    loaded = tf.saved_model.load(str(export_savedmodel(model, str(tmp_path / "served"), frames=False)))
    got = loaded.signatures["serving_default"](waveform=tf.constant(x))["embedding"].numpy()
    np.testing.assert_allclose(got, expected, atol=1e-4)

    path = export_tflite(model, tmp_path / "slowfast.tflite")
    builtin, report = tflite_builtin_only(path)
    assert builtin, report
    np.testing.assert_allclose(run_tflite(path, x), expected, atol=1e-4)
