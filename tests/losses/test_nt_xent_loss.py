import numpy as np
import pytest

from keras_audio_ssl.losses import nt_xent_loss


def _reference(z1, z2, t):
    z = np.concatenate([z1, z2]).astype("float64")
    z /= np.linalg.norm(z, axis=1, keepdims=True)
    n, b = len(z), len(z1)
    sim = z @ z.T / t
    total = 0.0
    for i in range(n):
        j = (i + b) % n
        others = [k for k in range(n) if k != i]
        total += -(sim[i, j] - np.log(np.sum(np.exp(sim[i, others]))))
    return total / n


@pytest.mark.parametrize("batch_size", [1, 2, 5, 16])
@pytest.mark.parametrize("temperature", [0.1, 0.5, 1.0])
def test_matches_numpy_reference(batch_size, temperature):
    rng = np.random.default_rng(batch_size)
    z1 = rng.standard_normal((batch_size, 8)).astype("float32")
    z2 = rng.standard_normal((batch_size, 8)).astype("float32")
    got = float(nt_xent_loss(z1, z2, temperature))
    assert got == pytest.approx(_reference(z1, z2, temperature), rel=1e-4, abs=1e-5)


def test_closed_form_orthogonal_pairs():
    # B orthogonal directions, each view identical: positive cos 1, negatives 0.
    b, t = 3, 0.5
    z = np.eye(b, dtype="float32")
    expected = -(1 / t - np.log(np.exp(1 / t) + 2 * (b - 1)))
    loss, diag = nt_xent_loss(z, z, t, return_diagnostics=True)
    assert float(loss) == pytest.approx(expected, rel=1e-5)
    assert float(diag["accuracy"]) == 1.0
    assert tuple(diag["logits"].shape) == (2 * b, 2 * b)


def test_bad_temperature():
    with pytest.raises(ValueError, match="Received: temperature=0"):
        nt_xent_loss(np.ones((2, 2)), np.ones((2, 2)), temperature=0)
