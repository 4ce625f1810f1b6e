import os
import tempfile

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_audio_ssl.augment import PostNormalization
from keras_audio_ssl.augment import PreNormalization
from tests.test_case import run_layer_test


def test_pre_norm_adapt_array_matches_numpy(rng):
    x = rng.normal(loc=-5, scale=3, size=(10, 8, 12, 1)).astype("float32")
    layer = PreNormalization()
    layer.adapt(x)
    assert layer.mean == pytest.approx(x.astype(np.float64).mean(), abs=1e-9)
    assert layer.std == pytest.approx(x.astype(np.float64).std(), rel=1e-9)
    out = np.asarray(layer(x))
    np.testing.assert_allclose(out, (x - x.mean()) / x.std(), atol=1e-5)


def test_pre_norm_adapt_streams_a_dataset(rng):
    x = rng.normal(loc=-5, scale=3, size=(23, 8, 12, 1)).astype("float32")
    labels = np.arange(23)
    ds = tf.data.Dataset.from_tensor_slices((x, labels)).batch(4)  # tuples, uneven last batch
    layer = PreNormalization()
    layer.adapt(ds)
    assert layer.mean == pytest.approx(x.astype(np.float64).mean(), abs=1e-9)
    assert layer.std == pytest.approx(x.astype(np.float64).std(), rel=1e-9)
    layer.adapt(ds.repeat(), steps=2)
    assert layer.mean == pytest.approx(x[:8].astype(np.float64).mean(), abs=1e-9)


def test_pre_norm_applies_at_inference_and_saves(rng):
    x = rng.normal(loc=2, scale=4, size=(3, 8, 12, 1)).astype("float32")
    inp = keras.Input((8, 12, 1))
    layer = PreNormalization()
    model = keras.Model(inp, layer(inp))  # built before adapt
    layer.adapt(x)
    expected = (x - x.mean()) / x.std()
    np.testing.assert_allclose(np.asarray(model(x, training=False)), expected, atol=1e-5)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "m.keras")
        model.save(path)
        loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(np.asarray(loaded(x, training=False)), expected, atol=1e-5)


def test_pre_norm_errors():
    with pytest.raises(ValueError, match="adapt"):
        PreNormalization()(np.zeros((1, 4, 4, 1), np.float32))
    with pytest.raises(ValueError, match="Received: mean=1.0, std=None"):
        PreNormalization(mean=1.0)
    with pytest.raises(ValueError, match="std"):
        PreNormalization(mean=0.0, std=0.0)
    with pytest.raises(ValueError, match="non-finite"):
        PreNormalization().adapt(np.array([1.0, np.nan]))


def test_pre_norm_layer_contract(rng):
    run_layer_test(
        PreNormalization,
        {"mean": -4.5, "std": 2.0, "epsilon": 1e-7},
        rng.normal(size=(2, 8, 12, 1)).astype("float32"),
        expected_output_shape=(2, 8, 12, 1),
    )


def test_post_norm_batch_statistics(rng):
    views = rng.normal(loc=3, scale=5, size=(8, 8, 12, 2)).astype("float32")
    out = np.asarray(PostNormalization()(views, training=True)).astype(np.float64)
    for c in range(2):  # one mean/std per channel over batch, frequency and time
        assert abs(out[..., c].mean()) < 1e-5
        assert out[..., c].std(ddof=1) == pytest.approx(1.0, abs=1e-5)
    v = views.astype(np.float64)
    expected = (v - v.mean(axis=(0, 1, 2))) / v.std(axis=(0, 1, 2), ddof=1)
    np.testing.assert_allclose(out, expected, atol=1e-4)


def test_post_norm_identity_at_inference_and_constant_input(rng):
    x = rng.normal(size=(2, 8, 12, 1)).astype("float32")
    np.testing.assert_array_equal(np.asarray(PostNormalization()(x, training=False)), x)
    out = np.asarray(PostNormalization()(np.full((2, 4, 4, 1), 7.0, np.float32), training=True))
    np.testing.assert_array_equal(out, 0.0)  # std clamped at eps: no NaN


def test_post_norm_layer_contract(rng):
    run_layer_test(
        PostNormalization,
        {"epsilon": 1e-6},
        rng.normal(size=(2, 8, 12, 1)).astype("float32"),
        expected_output_shape=(2, 8, 12, 1),
    )
