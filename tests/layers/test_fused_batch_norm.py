import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_audio_ssl.layers.fused_batch_norm import FusedBatchNormalization
from tests.test_case import run_layer_test


def test_layer_contract():
    x = np.random.default_rng(0).standard_normal((2, 4, 6, 3)).astype("float32")
    run_layer_test(
        FusedBatchNormalization,
        {"epsilon": 1e-5, "momentum": 0.9},
        x,
        expected_output_shape=(2, 4, 6, 3),
    )


def _pair(shape, seed):
    rng = np.random.default_rng(seed)
    reference = keras.layers.BatchNormalization(epsilon=1e-5, momentum=0.9)
    fused = FusedBatchNormalization(epsilon=1e-5, momentum=0.9)
    gamma = rng.uniform(0.5, 1.5, shape[-1]).astype("float32")
    beta = rng.standard_normal(shape[-1]).astype("float32")
    for layer in (reference, fused):
        layer.build(shape)
        layer.gamma.assign(gamma)
        layer.beta.assign(beta)
    return reference, fused


def _train_outputs(layer, x):
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = layer(x, training=True)
        loss = tf.reduce_sum(tf.sin(y) * tf.range(1.0, y.shape[-1] + 1.0))
    grads = tape.gradient(loss, [x, layer.gamma, layer.beta])
    return [y, *grads, layer.moving_mean.value, layer.moving_variance.value]


@pytest.mark.parametrize("shape", [(4, 8, 12, 5), (16, 24), (2, 7)])
def test_training_step_equals_keras_batch_norm(shape):
    # Output, input/gamma/beta gradients and the moving-statistics update
    # (biased variance) must be those of the Keras layer.
    x = tf.constant(
        np.random.default_rng(1).standard_normal(shape).astype("float32") * 3.0 + 1.0
    )
    reference, fused = _pair(shape, 2)
    for _ in range(2):  # two updates: momentum applied to a non-initial state
        expected = _train_outputs(reference, x)
        got = _train_outputs(fused, x)
    for e, g in zip(expected, got):
        e, g = np.asarray(e), np.asarray(g)
        np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-4 * max(1.0, np.abs(e).max()))
    np.testing.assert_allclose(
        fused(x, training=False), reference(x, training=False), rtol=1e-5, atol=1e-5
    )


def test_training_output_matches_numpy():
    x = np.random.default_rng(3).standard_normal((3, 4, 5, 2)).astype("float32")
    _, fused = _pair(x.shape, 4)
    y = fused(x, training=True)
    mean = x.mean(axis=(0, 1, 2))
    var = x.var(axis=(0, 1, 2))
    expected = (x - mean) / np.sqrt(var + 1e-5) * fused.gamma.numpy() + fused.beta.numpy()
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(fused.moving_variance.numpy(), 0.9 + 0.1 * var, rtol=1e-5)
    np.testing.assert_allclose(fused.moving_mean.numpy(), 0.1 * mean, rtol=1e-5, atol=1e-7)


def test_unsupported_cases_fall_back_to_keras():
    x = np.random.default_rng(5).standard_normal((2, 3, 4)).astype("float32")  # rank 3
    reference, fused = _pair(x.shape, 6)
    np.testing.assert_allclose(
        fused(x, training=True), reference(x, training=True), rtol=1e-5, atol=1e-5
    )
    assert not fused._fused_ok(tf.constant(x), True, None)
    assert not fused._fused_ok(tf.zeros((2, 4)), False, None)


def test_survives_keras_save_load(tmp_path):
    inputs = keras.Input((4, 4, 3))
    model = keras.Model(inputs, FusedBatchNormalization(name="bn")(inputs))
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded.get_layer("bn"), FusedBatchNormalization)


@pytest.mark.parametrize("policy", ["mixed_bfloat16", "mixed_float16"])
def test_mixed_policy_takes_the_fused_path_with_float32_statistics(policy):
    # Under a mixed policy the kernel reads the low-precision activations; statistics,
    # gamma/beta and their gradients stay float32 and match the Keras layer (which casts up).
    shape = (4, 8, 12, 5)
    reference, fused = (
        cls(epsilon=1e-5, momentum=0.9, dtype=policy) for cls in (keras.layers.BatchNormalization,
                                                                  FusedBatchNormalization)
    )
    rng = np.random.default_rng(8)
    gamma, beta = rng.uniform(0.5, 1.5, 5).astype("float32"), rng.standard_normal(5).astype("float32")
    for layer in (reference, fused):
        layer.build(shape)
        layer.gamma.assign(gamma)
        layer.beta.assign(beta)
    low = fused.compute_dtype
    x = tf.cast(rng.standard_normal(shape).astype("float32") * 3.0 + 1.0, low)
    assert fused._fused_ok(x, True, None)
    results = []
    for layer in (reference, fused):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x, training=True)
            loss = tf.reduce_sum(tf.sin(tf.cast(y, tf.float32)) * tf.range(1.0, 6.0))
        grads = tape.gradient(loss, [x, layer.gamma, layer.beta])
        assert y.dtype == low and grads[0].dtype == low and layer.moving_variance.dtype == "float32"
        results.append([y, *grads, layer.moving_mean.value, layer.moving_variance.value])
    for e, g in zip(*results):
        e, g = np.asarray(tf.cast(e, tf.float32)), np.asarray(tf.cast(g, tf.float32))
        np.testing.assert_allclose(g, e, rtol=2e-2, atol=2e-2 * max(1.0, np.abs(e).max()))
