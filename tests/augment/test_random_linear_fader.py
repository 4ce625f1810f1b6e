import numpy as np
import pytest

from keras_audio_ssl.augment import RandomLinearFader
from tests.test_case import run_layer_test


def test_adds_a_linear_ramp_within_gain(rng):
    x = rng.normal(size=(500, 4, 10, 1)).astype("float32")
    out = np.asarray(RandomLinearFader(gain=0.7, seed=0)(x, training=True))
    ramp = (out - x)[..., 0]  # [B, F, T]
    np.testing.assert_allclose(ramp, np.broadcast_to(ramp[:, :1, :], ramp.shape), atol=1e-5)  # same for every bin
    ramp = ramp[:, 0, :]
    head, tail = ramp[:, 0], ramp[:, -1]
    np.testing.assert_allclose(ramp, np.linspace(head, tail, 10, axis=1), atol=1e-5)
    assert np.abs(head).max() <= 0.7 + 1e-6 and np.abs(tail).max() <= 0.7 + 1e-6
    assert head.min() < -0.6 and head.max() > 0.6 and tail.min() < -0.6 and tail.max() > 0.6
    assert abs(np.corrcoef(head, tail)[0, 1]) < 0.15  # independent ends


def test_identity_at_inference_and_seeded(rng):
    x = rng.normal(size=(4, 4, 10, 1)).astype("float32")
    np.testing.assert_array_equal(np.asarray(RandomLinearFader(seed=1)(x, training=False)), x)
    a = np.asarray(RandomLinearFader(seed=1)(x, training=True))
    b = np.asarray(RandomLinearFader(seed=1)(x, training=True))
    c = np.asarray(RandomLinearFader(seed=2)(x, training=True))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_bad_gain():
    with pytest.raises(ValueError, match="gain"):
        RandomLinearFader(gain=-1.0)


def test_layer_contract(rng):
    run_layer_test(
        RandomLinearFader,
        {"gain": 1.0, "seed": 3},
        rng.normal(size=(2, 4, 10, 1)).astype("float32"),
        expected_output_shape=(2, 4, 10, 1),
    )
