import numpy as np
import pytest
import tensorflow as tf

from keras_audio_ssl.losses import byol_loss


def _reference(p, z):
    p = p / np.linalg.norm(p, axis=-1, keepdims=True)
    z = z / np.linalg.norm(z, axis=-1, keepdims=True)
    return np.mean(np.sum((p - z) ** 2, axis=-1))  # == 2 - 2 cos


@pytest.mark.parametrize("batch_size", [1, 2, 7, 32])
@pytest.mark.parametrize("dim", [3, 256])
def test_matches_numpy_reference(batch_size, dim):
    rng = np.random.default_rng(batch_size * 1000 + dim)
    p = rng.standard_normal((batch_size, dim)).astype("float32")
    z = rng.standard_normal((batch_size, dim)).astype("float32")
    np.testing.assert_allclose(float(byol_loss(p, z)), _reference(p, z), rtol=1e-5, atol=1e-6)
    per_sample = np.asarray(byol_loss(p, z, reduction=None))
    assert per_sample.shape == (batch_size,)
    np.testing.assert_allclose(per_sample.mean(), _reference(p, z), rtol=1e-5, atol=1e-6)


def test_closed_forms():
    v = np.random.default_rng(0).standard_normal((5, 16)).astype("float32")
    assert float(byol_loss(v, 3.0 * v)) == pytest.approx(0.0, abs=1e-6)  # same direction
    assert float(byol_loss(v, -v)) == pytest.approx(4.0, abs=1e-6)  # opposite
    e = np.eye(4, dtype="float32")
    assert float(byol_loss(e[:2], e[2:])) == pytest.approx(2.0, abs=1e-6)  # orthogonal


def test_no_gradient_reaches_targets():
    p = tf.Variable(np.random.default_rng(1).standard_normal((4, 8)).astype("float32"))
    z = tf.Variable(np.random.default_rng(2).standard_normal((4, 8)).astype("float32"))
    with tf.GradientTape() as tape:
        loss = byol_loss(p, z)
    grad_p, grad_z = tape.gradient(loss, [p, z])
    assert grad_z is None
    assert np.any(np.abs(grad_p.numpy()) > 0)


def test_zero_vector_gives_finite_loss():
    assert np.isfinite(float(byol_loss(np.zeros((2, 4)), np.ones((2, 4)))))


def test_bad_reduction():
    with pytest.raises(ValueError, match="Received: reduction=sum"):
        byol_loss(np.ones((1, 2)), np.ones((1, 2)), reduction="sum")
