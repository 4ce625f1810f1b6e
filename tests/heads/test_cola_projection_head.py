import numpy as np
import pytest

from keras_audio_ssl.heads import COLAProjectionHead
from tests.test_case import run_layer_test


def test_layer_contract_and_tanh_range():
    out = run_layer_test(COLAProjectionHead, {"output_dim": 8}, np.random.default_rng(0).standard_normal((4, 16)).astype("float32"),
                         expected_output_shape=(4, 8))
    assert np.all(np.abs(out) < 1.0)
    frames = COLAProjectionHead(8)(np.ones((2, 5, 16), "float32"))
    assert tuple(frames.shape) == (2, 5, 8)


def test_rejects_bad_size():
    with pytest.raises(ValueError, match="output_dim=0"):
        COLAProjectionHead(0)
