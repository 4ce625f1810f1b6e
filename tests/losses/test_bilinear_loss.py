import numpy as np
import pytest
from scipy.special import log_softmax

from keras_audio_ssl.losses import bilinear_loss


@pytest.mark.parametrize("batch_size", [1, 3, 16])
def test_matches_scipy_cross_entropy(batch_size):
    logits = np.random.default_rng(batch_size).standard_normal((batch_size, batch_size)).astype("float32")
    expected = -np.mean(np.diag(log_softmax(logits.astype("float64"), axis=1)))
    assert float(bilinear_loss(logits)) == pytest.approx(expected, rel=1e-5, abs=1e-6)


def test_closed_forms():
    b = 4
    assert float(bilinear_loss(np.zeros((b, b), "float32"))) == pytest.approx(np.log(b), rel=1e-6)
    loss, diag = bilinear_loss(50.0 * np.eye(b, dtype="float32"), return_diagnostics=True)
    assert float(loss) == pytest.approx(0.0, abs=1e-6)
    assert float(diag["accuracy"]) == 1.0
