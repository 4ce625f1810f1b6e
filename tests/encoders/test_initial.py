"""Warm start: the method's encoder (and BYOL-A's target) equals the given encoder at step 0, then trains."""

import json
import os

import keras
import numpy as np
import pytest

from keras_audio_ssl.encoders import AudioNTT2020
from keras_audio_ssl.encoders import apply_initial_encoder
from keras_audio_ssl.encoders import build_embedding_model
from keras_audio_ssl.encoders import save_to_preset
from keras_audio_ssl.methods import BYOLA

SAMPLES = 2400
WAVES = (0.1 * np.random.default_rng(0).standard_normal((8, SAMPLES))).astype("float32")


def _byola(feature_d=32):
    model = BYOLA(AudioNTT2020(feature_d=feature_d), projection_dim=8, hidden_dim=32, memory_size=16,
                  pre_norm_mean=-3.0, pre_norm_std=2.0, seed=3)
    model.compile(optimizer=keras.optimizers.SGD(0.01))
    model.build((None, SAMPLES))
    return model


def _given_encoder(feature_d=32, seed=11):
    keras.utils.set_random_seed(seed)
    encoder = AudioNTT2020(feature_d=feature_d)
    for weight in encoder.non_trainable_weights:  # BatchNorm statistics travel too
        weight.assign(np.random.default_rng(seed).uniform(0.5, 1.5, weight.shape).astype("float32"))
    return encoder


def _assert_starts_from(model, encoder):
    for target in (model.encoder, model.target_encoder):
        for got, want in zip(target.get_weights(), encoder.get_weights(), strict=True):
            np.testing.assert_array_equal(got, want)


def _assert_trains(model):
    before = [w.copy() for w in model.encoder.get_weights()]
    history = model.fit(WAVES, batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.encoder.get_weights()))
    assert np.isfinite(np.asarray(model(WAVES))).all()


def test_a_keras_encoder_file(tmp_path):
    given = _given_encoder()
    given.save(tmp_path / "encoder.keras")
    model = _byola()
    result = apply_initial_encoder(model, str(tmp_path / "encoder.keras"))
    assert (result.kind, result.statistics) == ("keras", None)
    _assert_starts_from(model, given)
    _assert_trains(model)


def test_a_run_directory_with_its_statistics_and_a_weights_only_one(tmp_path):
    given = _given_encoder()
    run = tmp_path / "run"
    run.mkdir()
    build_embedding_model(given, mean=-6.5, std=4.25).save(run / "embedding_model.keras")
    (run / "normalization.json").write_text(json.dumps({"mean": -6.5, "std": 4.25}))
    (run / "config.json").write_text(json.dumps({"method": "byola"}))  # a run's settings: not a preset's config
    model = _byola()
    result = apply_initial_encoder(model, run)
    assert result.kind == "run" and result.statistics == {"mean": -6.5, "std": 4.25}
    _assert_starts_from(model, given)
    assert model.pre_norm.mean == -3.0  # the method keeps its own statistics (module docstring)

    weights_only = tmp_path / "weights_only"
    weights_only.mkdir()
    other = _given_encoder(seed=12)
    other.save_weights(weights_only / "encoder.weights.h5")
    result = apply_initial_encoder(model, weights_only)
    assert result.source.endswith("encoder.weights.h5") and result.statistics is None
    _assert_starts_from(model, other)


def test_a_preset_directory(tmp_path):
    given = _given_encoder()
    save_to_preset(build_embedding_model(given, mean=-5.0, std=3.0), tmp_path / "preset")
    model = _byola()
    result = apply_initial_encoder(model, tmp_path / "preset")
    assert result.kind == "preset" and result.statistics == {"mean": -5.0, "std": 3.0}
    _assert_starts_from(model, given)


def test_a_converted_official_checkpoint_with_random_weights(tmp_path):
    pytest.importorskip("torch", reason="torch is an optional extra (pip install torch)")
    from keras_audio_ssl.export.torch_weights import convert_byola_torch
    from tests.export.test_torch_weights import OfficialAudioNTT2020
    from tests.export.test_torch_weights import _save_official

    _save_official(OfficialAudioNTT2020(d=64), tmp_path / "byola.pth", seed=4)
    model = _byola(feature_d=64)
    result = apply_initial_encoder(model, str(tmp_path / "byola.pth"))
    assert result.kind == "torch"
    _assert_starts_from(model, convert_byola_torch(tmp_path / "byola.pth"))
    _assert_trains(model)


def test_a_mismatch_or_nothing_there_is_one_line_naming_the_file(tmp_path):
    _given_encoder(feature_d=16).save(tmp_path / "narrow.keras")
    model = _byola()
    before = model.encoder.get_weights()
    for spec, expected in ((tmp_path / "narrow.keras", "feature_d=16"), (tmp_path / "missing.keras", "No initial"),
                           (tmp_path, "No encoder in directory"), ("no_such_preset", "No initial")):
        with pytest.raises(ValueError) as err:
            apply_initial_encoder(model, spec)
        message = str(err.value)
        assert "\n" not in message and expected in message and f"spec={os.fspath(spec)!r}" in message
    for got, want in zip(model.encoder.get_weights(), before):  # a refused spec changes nothing
        np.testing.assert_array_equal(got, want)
