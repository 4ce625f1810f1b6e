import keras
import numpy as np
import pytest

from keras_audio_ssl.recipes.callbacks import EncoderCheckpoint
from keras_audio_ssl.recipes.callbacks import StopOnNaN


def _tiny_model():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


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


def test_encoder_checkpoint_keeps_the_last_files(tmp_path):
    model = _tiny_model()
    model.fit(np.ones((4, 3)), np.ones((4, 1)), epochs=4, verbose=0,
              callbacks=[EncoderCheckpoint(model, str(tmp_path), keep=2)])
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "encoder_epoch_003.weights.h5", "encoder_epoch_004.weights.h5"]
    with pytest.raises(ValueError, match="keep=0"):
        EncoderCheckpoint(model, str(tmp_path), keep=0)
