"""The export as a TF Hub reusable SavedModel: callable when loaded, usable as a layer."""

import numpy as np
import pytest
import tensorflow as tf

from keras_audio_ssl.export import export_savedmodel


@pytest.fixture(scope="module")
def exported_path(embedding_model, tmp_path_factory):
    return export_savedmodel(embedding_model, tmp_path_factory.mktemp("reusable"))


@pytest.fixture(scope="module")
def waveform():
    return np.random.default_rng(5).uniform(-0.5, 0.5, (3, 17000)).astype(np.float32)


def test_loaded_object_is_callable(embedding_model, exported_path, waveform):
    loaded = tf.saved_model.load(exported_path)
    expected = np.asarray(embedding_model(waveform, training=False))
    np.testing.assert_allclose(loaded(tf.constant(waveform)).numpy(), expected, atol=1e-5)
    # The serving signatures are still there beside it (Keras' ExportArchive makes every endpoint a
    # signature, so `__call__` is one too).
    assert set(loaded.signatures) == {"serving_default", "frames", "__call__"}
    assert loaded.trainable_variables and len(loaded.variables) >= len(loaded.trainable_variables)


def test_tf_hub_load_and_keras_layer(embedding_model, exported_path, waveform):
    hub = pytest.importorskip("tensorflow_hub", reason="tensorflow-hub (dev extras) imports pkg_resources: setuptools<81")
    expected = np.asarray(embedding_model(waveform, training=False))
    np.testing.assert_allclose(hub.load(exported_path)(waveform).numpy(), expected, atol=1e-5)
    np.testing.assert_allclose(hub.KerasLayer(exported_path)(waveform).numpy(), expected, atol=1e-5)


def test_keras3_tfsm_layer(embedding_model, exported_path, waveform):
    import keras

    layer = keras.layers.TFSMLayer(exported_path, call_endpoint="serving_default")
    expected = np.asarray(embedding_model(waveform, training=False))
    np.testing.assert_allclose(np.asarray(layer(waveform)["embedding"]), expected, atol=1e-5)
