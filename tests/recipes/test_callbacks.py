import csv

import keras
import numpy as np
import pytest

from keras_audio_ssl.recipes.callbacks import EncoderCheckpoint
from keras_audio_ssl.recipes.callbacks import ResumableCSVLogger
from keras_audio_ssl.recipes.callbacks import StopOnNaN


def _tiny_model():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def _rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_stop_on_nan_names_epoch_and_step_and_stops():
    x = np.ones((8, 3), "float32")
    y = np.ones((8, 1), "float32")
    x[5] = np.nan  # batch 3 (1-based) with batch size 2
    guard = StopOnNaN(learning_rate=0.1)
    history = _tiny_model().fit(x, y, batch_size=2, epochs=3, shuffle=False, verbose=0, callbacks=[guard])
    assert guard.message is not None
    assert "epoch 1, step 3" in guard.message and "learning_rate=0.1" in guard.message
    assert len(history.epoch) == 1  # stopped during the first epoch


def test_stop_on_nan_is_silent_on_finite_losses():
    guard = StopOnNaN()
    _tiny_model().fit(np.ones((4, 3)), np.ones((4, 1)), epochs=2, verbose=0, callbacks=[guard])
    assert guard.message is None


def test_csv_logger_drops_epochs_that_a_resume_repeats(tmp_path):
    path = str(tmp_path / "history.csv")
    model = _tiny_model()
    x, y = np.ones((4, 3)), np.ones((4, 1))
    model.fit(x, y, epochs=3, verbose=0, callbacks=[ResumableCSVLogger(path)])
    assert [r["epoch"] for r in _rows(path)] == ["0", "1", "2"]
    # A resume that restarts at epoch 2 (epoch 2 was logged but not backed up).
    model.fit(x, y, initial_epoch=2, epochs=5, verbose=0, callbacks=[ResumableCSVLogger(path)])
    rows = _rows(path)
    assert [r["epoch"] for r in rows] == ["0", "1", "2", "3", "4"]
    assert all(np.isfinite(float(r["loss"])) for r in rows)
    # A fresh run from epoch 0 replaces the log.
    model.fit(x, y, epochs=1, verbose=0, callbacks=[ResumableCSVLogger(path)])
    assert [r["epoch"] for r in _rows(path)] == ["0"]


def test_encoder_checkpoint_keeps_the_last_files(tmp_path):
    model = _tiny_model()
    model.fit(np.ones((4, 3)), np.ones((4, 1)), epochs=4, verbose=0,
              callbacks=[EncoderCheckpoint(model, str(tmp_path), keep=2)])
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "encoder_epoch_003.weights.h5", "encoder_epoch_004.weights.h5"]
    with pytest.raises(ValueError, match="keep=0"):
        EncoderCheckpoint(model, str(tmp_path), keep=0)
