import numpy as np
import pytest

from keras_audio_ssl.augment import GaussianNoise
from keras_audio_ssl.augment import log_mixup_exp
from tests.test_case import run_layer_test


def test_noise_std_and_mixing_ratio():
    # With exp(x) ~ 0 the output is log(lambda) + z: its spread is the noise std
    # and its mean gives lambda.
    x = np.full((64, 16, 64, 1), -60.0, np.float32)
    out = np.asarray(GaussianNoise(stddev=0.4, ratio=0.4, seed=0)(x, training=True)).astype(np.float64)
    std = out.std(axis=(1, 2, 3))
    lam = np.exp(out.mean(axis=(1, 2, 3)))
    ok = lam > 1e-2
    assert np.all(np.abs(std[ok] - 0.4) < 0.04)  # 4.5 sigma of a 1024-value std
    assert abs(std[ok].mean() - 0.4) < 0.005
    assert lam.max() < 0.4 * 1.05 and lam.max() > 0.3 and lam.min() < 0.1


def test_follows_log_mixup_exp_with_no_noise(rng):
    x = rng.normal(size=(8, 4, 6, 1)).astype("float32")
    out = np.asarray(GaussianNoise(stddev=0.0, ratio=0.4, seed=1)(x, training=True))
    # z = 0 everywhere: out = log((1 - l) e^x + l + eps) for one l per sample.
    lam = (np.exp(out.astype(np.float64)) - np.finfo(np.float32).eps - np.exp(x)) / (1 - np.exp(x))
    per_sample = np.median(lam, axis=(1, 2, 3), keepdims=True)
    np.testing.assert_allclose(out, np.asarray(log_mixup_exp(x, np.zeros_like(x), per_sample.astype("float32"))), atol=1e-4)
    assert per_sample.min() >= 0 and per_sample.max() <= 0.4 + 1e-4


def test_identity_at_inference_and_seeded(rng):
    x = rng.normal(size=(3, 4, 6, 1)).astype("float32")
    np.testing.assert_array_equal(np.asarray(GaussianNoise(seed=1)(x, training=False)), x)
    a = np.asarray(GaussianNoise(seed=4)(x, training=True))
    np.testing.assert_array_equal(a, np.asarray(GaussianNoise(seed=4)(x, training=True)))
    assert not np.allclose(a, np.asarray(GaussianNoise(seed=5)(x, training=True)))


def test_bad_arguments():
    with pytest.raises(ValueError, match="stddev"):
        GaussianNoise(stddev=-0.1)
    with pytest.raises(ValueError, match="ratio"):
        GaussianNoise(ratio=2.0)


def test_layer_contract(rng):
    run_layer_test(
        GaussianNoise,
        {"stddev": 0.4, "ratio": 0.4, "log_mixup_exp": True, "seed": 3},
        rng.normal(size=(2, 4, 6, 1)).astype("float32"),
        expected_output_shape=(2, 4, 6, 1),
    )
