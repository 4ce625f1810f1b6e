import keras
import numpy as np
import pytest

from keras_audio_ssl.evaluation import fine_tune
from tests.test_case import tone

encoders = pytest.importorskip("keras_audio_ssl.encoders")


def _tones(rng, n):
    labels = rng.integers(0, 2, n)
    freqs = np.where(labels == 0, 300.0, 2500.0) * rng.uniform(0.95, 1.05, n)
    waves = np.stack([tone(f, 0.5, amplitude=rng.uniform(0.2, 0.8)) for f in freqs])
    waves += 0.01 * rng.normal(size=waves.shape).astype(np.float32)
    return waves, np.array(["low", "high"])[labels]


def test_fine_tune_learns_tiny_task_and_updates_encoder(rng):
    keras.utils.set_random_seed(0)
    model = encoders.build_embedding_model(encoders.AudioNTT2020(feature_d=8), mean=-6.0, std=4.0)
    encoder_before = [w.copy() for w in model.layers[3].get_weights()]
    x_train, y_train = _tones(rng, 40)
    x_test, y_test = _tones(rng, 20)
    result = fine_tune(model, x_train, y_train, x_test, y_test, epochs=8, patience=8, learning_rate=3e-3,
                       batch_size=8)
    assert result["accuracy"] >= 0.9
    assert set(result["predictions"]) <= {"low", "high"}
    changed = [not np.allclose(a, b) for a, b in zip(encoder_before, model.layers[3].get_weights())]
    assert any(changed), "the encoder was not fine-tuned"
    norm = model.get_layer("pre_normalization")
    assert [float(w) for w in norm.get_weights()] == [-6.0, 4.0]  # statistics stay frozen


def test_fine_tune_rejects_ragged_waveforms():
    model = encoders.build_embedding_model(encoders.AudioNTT2020(feature_d=8), mean=0.0, std=1.0)
    with pytest.raises(ValueError, match="x_train"):
        fine_tune(model, np.zeros(100, np.float32), [0], np.zeros((1, 100), np.float32), [0])
