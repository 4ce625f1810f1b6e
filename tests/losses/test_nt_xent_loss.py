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


@pytest.mark.parametrize("replicas", [2, 3])
def test_replica_shards_with_gathered_negatives_average_to_the_global_loss(replicas):
    rng = np.random.default_rng(replicas)
    b = 4
    z1 = rng.standard_normal((replicas * b, 6)).astype("float32")
    z2 = rng.standard_normal((replicas * b, 6)).astype("float32")
    shards = [
        float(nt_xent_loss(z1[r * b:(r + 1) * b], z2[r * b:(r + 1) * b], 0.2, all_z1=z1, all_z2=z2, offset=r * b))
        for r in range(replicas)
    ]
    assert np.mean(shards) == pytest.approx(_reference(z1, z2, 0.2), rel=1e-4)


def test_similarity_gap_of_orthogonal_pairs_is_one():
    _, diag = nt_xent_loss(np.eye(3, dtype="float32"), np.eye(3, dtype="float32"), 0.5, return_diagnostics=True)
    assert float(diag["similarity_gap"]) == pytest.approx(1.0, abs=1e-6)
    rng = np.random.default_rng(0)
    z1, z2 = rng.standard_normal((5, 4)), rng.standard_normal((5, 4))
    z = np.concatenate([z1, z2]) / np.linalg.norm(np.concatenate([z1, z2]), axis=1, keepdims=True)
    cos = z @ z.T
    pos = np.mean([cos[i, (i + 5) % 10] for i in range(10)])
    neg = np.mean([cos[i, j] for i in range(10) for j in range(10) if j not in (i, (i + 5) % 10)])
    _, diag = nt_xent_loss(z1.astype("float32"), z2.astype("float32"), 0.5, return_diagnostics=True)
    assert float(diag["similarity_gap"]) == pytest.approx(pos - neg, abs=1e-5)
