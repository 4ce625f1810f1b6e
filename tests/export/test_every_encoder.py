"""Every registered encoder exports: SavedModel (embedding and frames signatures) and a
float32 TFLite file with builtin ops only, both agreeing with Keras."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_audio_ssl import encoders
from keras_audio_ssl.encoders import build_embedding_model
from keras_audio_ssl.encoders.embedding_model_parts import build_frames_model
from keras_audio_ssl.export import export_savedmodel
from keras_audio_ssl.export import export_tflite
from keras_audio_ssl.export.tflite import tflite_builtin_only
from tests.encoders.tiny_encoders import TINY_ENCODERS
from tests.encoders.tiny_encoders import encoder_params
from tests.export.test_tflite import run_tflite


@pytest.mark.parametrize("name", encoder_params())
def test_savedmodel_and_tflite_agree_with_keras(name, tmp_path):
    keras.utils.set_random_seed(0)
    kwargs = TINY_ENCODERS[name]
    from keras_audio_ssl.audio import LogMelSpectrogram

    model = build_embedding_model(encoders.get(name, **kwargs), mean=-6.0, std=4.0,
                                  front_end=LogMelSpectrogram(n_mels=kwargs["n_mels"]))
    x = (0.1 * np.random.default_rng(1).standard_normal((2, 16000))).astype(np.float32)
    expected = np.asarray(model(x, training=False))

    version_dir = export_savedmodel(model, str(tmp_path / "served"))
    loaded = tf.saved_model.load(str(version_dir))
    got = loaded.signatures["serving_default"](waveform=tf.constant(x))["embedding"].numpy()
    np.testing.assert_allclose(got, expected, atol=1e-4)
    frames = loaded.signatures["frames"](waveform=tf.constant(x))["frames"].numpy()
    np.testing.assert_allclose(frames, np.asarray(build_frames_model(model)(x, training=False)), atol=1e-4)

    path = export_tflite(model, tmp_path / f"{name}.tflite")
    builtin, report = tflite_builtin_only(path)
    assert builtin, f"{name} needs non-builtin ops: {report}"
    np.testing.assert_allclose(run_tflite(path, x), expected, atol=1e-4)
