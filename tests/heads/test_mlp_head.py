import keras
import numpy as np
import pytest

from keras_audio_ssl.heads import BYOLPredictionHead
from keras_audio_ssl.heads import BYOLProjectionHead
from keras_audio_ssl.heads import MLPHead
from tests.test_case import run_layer_test


def test_layer_contract():
    x = np.random.default_rng(0).standard_normal((4, 12)).astype("float32")
    run_layer_test(MLPHead, {"hidden_dim": 16, "output_dim": 5}, x, expected_output_shape=(4, 5))


def test_inference_matches_numpy_reference():
    head = MLPHead(16, 5)
    x = np.random.default_rng(1).standard_normal((6, 12)).astype("float32")
    head(x)
    # Non-trivial BatchNorm statistics and affine parameters.
    bn = head.batch_norm
    rng = np.random.default_rng(2)
    bn.moving_mean.assign(rng.standard_normal(16).astype("float32"))
    bn.moving_variance.assign(rng.uniform(0.5, 2.0, 16).astype("float32"))
    bn.gamma.assign(rng.uniform(0.5, 1.5, 16).astype("float32"))
    bn.beta.assign(rng.standard_normal(16).astype("float32"))
    w1, b1 = head.hidden.get_weights()
    w2, b2 = head.output_dense.get_weights()
    h = x @ w1 + b1
    h = (h - bn.moving_mean.numpy()) / np.sqrt(bn.moving_variance.numpy() + 1e-5)
    h = np.maximum(h * bn.gamma.numpy() + bn.beta.numpy(), 0.0)
    expected = h @ w2 + b2
    got = keras.ops.convert_to_numpy(head(x, training=False))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_training_uses_batch_statistics():
    head = MLPHead(8, 3)
    x = np.random.default_rng(3).standard_normal((10, 4)).astype("float32")
    head(x)
    w1, b1 = head.hidden.get_weights()
    w2, b2 = head.output_dense.get_weights()
    h = x @ w1 + b1
    h = (h - h.mean(0)) / np.sqrt(h.var(0) + 1e-5)
    expected = np.maximum(h, 0.0) @ w2 + b2
    got = keras.ops.convert_to_numpy(head(x, training=True))
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)


def test_byol_heads_have_paper_defaults():
    for cls in (BYOLProjectionHead, BYOLPredictionHead):
        head = cls()
        assert (head.hidden_dim, head.output_dim) == (4096, 256)
        out = head(np.zeros((2, 512), "float32"))
        assert tuple(out.shape) == (2, 256)
        assert cls.from_config(head.get_config()).get_config() == head.get_config()


@pytest.mark.parametrize("kwargs, name", [({"hidden_dim": 0, "output_dim": 3}, "hidden_dim"), ({"hidden_dim": 3, "output_dim": -1}, "output_dim")])
def test_bad_dims_raise(kwargs, name):
    with pytest.raises(ValueError, match=f"Received: {name}="):
        MLPHead(**kwargs)
