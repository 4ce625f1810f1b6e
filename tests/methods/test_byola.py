import json
import math
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_audio_ssl.encoders import AudioNTT2020
from keras_audio_ssl.methods import BYOLA
from keras_audio_ssl.methods import ema_decay_at

SAMPLES = 2400  # 16 frames of log-mel: short audio keeps the steps cheap


def _waveforms(n, seed=0):
    # Tones of different pitch plus noise: structured enough to learn from.
    rng = np.random.default_rng(seed)
    t = np.arange(SAMPLES) / 16000.0
    freqs = rng.uniform(200.0, 3000.0, size=(n, 1))
    tones = 0.3 * np.sin(2 * np.pi * freqs * t)
    return (tones + 0.05 * rng.standard_normal((n, SAMPLES))).astype("float32")


def _model(**kwargs):
    options = dict(
        projection_dim=16,
        hidden_dim=64,
        memory_size=16,
        pre_norm_mean=-6.0,
        pre_norm_std=4.0,
        seed=7,
    )
    options.update(kwargs)
    encoder = options.pop("encoder", None) or AudioNTT2020(feature_d=64)
    model = BYOLA(encoder, **options)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    model.build((None, SAMPLES))
    return model


def _np(variables):
    return [np.array(v.numpy()) for v in variables]


def test_call_returns_online_embedding_for_waveform_and_log_mel():
    model = _model()
    wav = _waveforms(3)
    emb = keras.ops.convert_to_numpy(model(wav))
    assert emb.shape == (3, 64)
    log_mel = model.front_end(wav)
    expected = model.encoder((log_mel - (-6.0)) / 4.0, training=False)
    np.testing.assert_allclose(emb, keras.ops.convert_to_numpy(expected), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(model(log_mel)), emb, rtol=1e-5, atol=1e-5
    )


def test_target_starts_equal_and_is_kept_out_of_the_optimizer():
    model = _model()
    online = model.encoder.weights + model.projector.weights
    target = model.target_encoder.weights + model.target_projector.weights
    assert len(online) == len(target)
    for a, b in zip(online, target):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    trainable_ids = {id(v) for v in model.trainable_variables}
    assert not trainable_ids & {id(v) for v in target}
    expected = model.encoder.trainable_weights + model.projector.trainable_weights
    expected += model.predictor.trainable_weights
    assert trainable_ids == {id(v) for v in expected}


def test_no_gradient_reaches_the_target():
    model = _model()
    views = model.make_views(model.preprocess(tf.constant(_waveforms(8))))
    target = model.target_encoder.trainable_weights + model.target_projector.trainable_weights
    online = model.trainable_variables
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([v.value for v in target])
        loss, _ = model.compute_loss_and_diagnostics(views, training=True)
    assert all(g is None for g in tape.gradient(loss, target))
    online_grads = tape.gradient(loss, online)
    assert sum(g is not None and float(tf.reduce_max(tf.abs(g))) > 0 for g in online_grads) > len(online) // 2


@pytest.mark.parametrize("schedule", ["constant", "cosine"])
def test_target_is_the_ema_of_online_step_by_step(schedule):
    kwargs = {"ema_decay": 0.9, "ema_schedule": schedule}
    if schedule == "cosine":
        kwargs["ema_total_steps"] = 4
    model = _model(**kwargs)
    target = model.target_encoder.trainable_weights + model.target_projector.trainable_weights
    online = model.encoder.trainable_weights + model.projector.trainable_weights
    data = tf.constant(_waveforms(8))
    for step in range(3):
        before = _np(target)
        model.train_step(data)
        after_online = _np(online)
        if schedule == "constant":
            decay = 0.9
        else:
            decay = 1.0 - 0.1 * (math.cos(math.pi * step / 4) + 1.0) / 2.0
        for t_before, o_after, t_after in zip(before, after_online, _np(target)):
            np.testing.assert_allclose(
                t_after, decay * t_before + (1.0 - decay) * o_after, rtol=1e-5, atol=1e-6
            )
        # The online network really moved, so the check is not vacuous.
        assert any(not np.allclose(a, b) for a, b in zip(before, after_online))


def test_cosine_schedule_values():
    values = [float(ema_decay_at(k, 0.99, "cosine", 10)) for k in (0, 5, 10, 20)]
    np.testing.assert_allclose(values, [0.99, 0.995, 1.0, 1.0], atol=1e-6)


def test_memory_bank_holds_last_inputs_in_fifo_order():
    model = _model(memory_size=12)
    batches = [_waveforms(8, seed=s) for s in (1, 2, 3)]
    for batch in batches:
        model.train_step(tf.constant(batch))
    normalized = [
        keras.ops.convert_to_numpy(model.pre_norm(model.front_end(b))) for b in batches
    ]
    expected = np.concatenate(normalized)[-12:]
    np.testing.assert_allclose(model.mixup.memory_contents(), expected, atol=1e-6)


@pytest.mark.large  # an 8-epoch fit (the contract below checks the loss falls too)
def test_loss_falls_and_embeddings_do_not_collapse():
    model = _model(memory_size=32)
    data = tf.data.Dataset.from_tensor_slices(_waveforms(32)).batch(8)
    history = model.fit(data, epochs=8, verbose=0, shuffle=False).history
    losses = history["loss"]
    assert np.all(np.isfinite(losses))
    assert np.mean(losses[-2:]) < np.mean(losses[:2]) - 0.2, losses
    # Spread unit vectors in 16 dims have per-dim std around 1/sqrt(16) = 0.25.
    assert min(history["embedding_std"]) > 0.05, history["embedding_std"]
    np.testing.assert_allclose(history["view_mean_post"], 0.0, atol=1e-4)
    np.testing.assert_allclose(history["view_std_post"], 1.0, atol=1e-3)
    assert all(s > 0 for s in history["view_std_pre"])
    assert int(model.collapse_warned.numpy()) == 0


def test_collapse_warning_fires_once():
    model = _model(collapse_threshold=1e9)  # everything counts as collapsed
    with pytest.warns(RuntimeWarning, match="representation collapse") as record:
        model.fit(_waveforms(8), batch_size=8, epochs=2, verbose=0)
    assert int(model.collapse_warned.numpy()) == 1
    assert sum("representation collapse" in str(w.message) for w in record) == 1


@pytest.mark.large  # XLA compilation alone takes ~20 s of CPU
def test_xla_compiled_step_runs():
    model = _model()
    model.compile(optimizer=keras.optimizers.Adam(1e-3), jit_compile=True)
    history = model.fit(_waveforms(8), batch_size=8, epochs=1, verbose=0).history
    assert np.isfinite(history["loss"][0])


def test_keras_save_load_continues_training_identically(tmp_path):
    model = _model()
    data = tf.data.Dataset.from_tensor_slices(_waveforms(16)).batch(8)
    model.fit(data, epochs=1, verbose=0, shuffle=False)
    path = os.path.join(tmp_path, "byola.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded, BYOLA)
    assert int(loaded.optimizer.iterations.numpy()) == 2
    assert loaded.get_config() == model.get_config()
    np.testing.assert_allclose(loaded.mixup.memory_contents(), model.mixup.memory_contents())
    batch = tf.constant(_waveforms(8, seed=5))
    model.train_step(batch)
    loaded.train_step(batch)
    assert len(model.variables) == len(loaded.variables)
    for a, b in zip(model.variables, loaded.variables):
        np.testing.assert_allclose(np.asarray(a.numpy()), np.asarray(b.numpy()), rtol=1e-5, atol=1e-6, err_msg=a.path)
    for a, b in zip(model.optimizer.variables, loaded.optimizer.variables):
        np.testing.assert_allclose(np.asarray(a.numpy()), np.asarray(b.numpy()), rtol=1e-5, atol=1e-6)


def test_adapt_computes_log_mel_statistics():
    model = BYOLA(AudioNTT2020(feature_d=16), projection_dim=8, hidden_dim=16, memory_size=4)
    wav = _waveforms(6)
    model.adapt(tf.data.Dataset.from_tensor_slices(wav).batch(4))
    log_mel = keras.ops.convert_to_numpy(model.front_end(wav)).astype("float64")
    assert model.pre_norm.mean == pytest.approx(log_mel.mean(), rel=1e-5)
    assert model.pre_norm.std == pytest.approx(log_mel.std(), rel=1e-5)
    assert model.get_config()["pre_norm_mean"] == model.pre_norm.mean


def test_random_linear_fader_option_builds_a_fader():
    model = _model(random_linear_fader=True)
    assert model.fader is not None
    logs = model.train_step(tf.constant(_waveforms(8)))
    assert np.isfinite(float(logs["loss"]))


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"ema_decay": 1.5}, "ema_decay"),
        ({"ema_schedule": "linear"}, "ema_schedule"),
        ({"ema_schedule": "cosine"}, "ema_total_steps"),
    ],
)
def test_bad_arguments_raise(kwargs, name):
    with pytest.raises(ValueError, match=f"Received: {name}="):
        BYOLA(AudioNTT2020(feature_d=8), **kwargs)


@pytest.mark.large  # MirroredStrategy subprocess; see the contract below, tests/augment/test_distribution.py
def test_mirrored_strategy_step_equals_single_device_step():
    script = os.path.join(os.path.dirname(__file__), "mirrored_step.py")
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=repo)
    result = subprocess.run(
        [sys.executable, script, "tests.methods.method_builders:byola", "2"], capture_output=True, text=True,
        env=env, timeout=600, cwd=repo,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["replicas"] == 2
    assert summary["loss_single"] == pytest.approx(summary["loss_mirrored"], abs=1e-5)
    assert summary["moved"] > 1e-3  # the step did something
    assert summary["max_weight_diff_step1"] < 1e-5
    # Both replicas' samples (2 steps x 8), in global batch order.
    assert summary["bank_count"] == 16
    assert summary["bank_max_diff"] < 1e-6


@pytest.mark.large
def test_multi_worker_mirrored_strategy_fit_runs():
    script = os.path.join(os.path.dirname(__file__), "multi_worker_fit.py")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    env.pop("TF_CONFIG", None)
    result = subprocess.run([sys.executable, script], capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    losses = json.loads(result.stdout.strip().splitlines()[-1])["loss"]
    assert len(losses) == 2 and all(np.isfinite(losses))


def test_byola_passes_the_method_contract(tmp_path):
    import keras

    from keras_audio_ssl.encoders import AudioNTT2020
    from keras_audio_ssl.methods import BYOLA
    from tests.test_case import run_method_test

    def build():
        keras.utils.set_random_seed(0)
        model = BYOLA(AudioNTT2020(feature_d=32), projection_dim=16, hidden_dim=64, memory_size=16,
                      pre_norm_mean=-3.0, pre_norm_std=2.0, seed=1)
        model.compile(optimizer=keras.optimizers.Adam(1e-3))
        model.build((None, 2400))
        return model

    rng = np.random.default_rng(0)
    t = np.arange(2400) / 16000.0
    waves = 0.3 * np.sin(2 * np.pi * rng.uniform(200.0, 3000.0, (32, 1)) * t) + 0.05 * rng.standard_normal((32, 2400))
    run_method_test(build, waves.astype("float32"), tmp_path=tmp_path, epochs=6,
                    mirrored_builder="tests.methods.method_builders:byola")
