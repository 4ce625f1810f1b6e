import numpy as np
import pytest
from scipy.special import log_softmax

from keras_audio_ssl.losses import cola_loss
from tests.test_case import run_loss_test


def _reference(anchors, positives, kernel=None, temperature=0.2, symmetric=True):
    if kernel is not None:
        s = anchors @ kernel @ positives.T
    else:
        a = anchors / np.linalg.norm(anchors, axis=1, keepdims=True)
        p = positives / np.linalg.norm(positives, axis=1, keepdims=True)
        s = a @ p.T / temperature
    rows = -np.mean(np.diag(log_softmax(s, axis=1)))
    if not symmetric:  # COLA's L: each anchor finds its positive among all positives
        return rows
    cols = -np.mean(np.diag(log_softmax(s.T, axis=1)))
    return 0.5 * (rows + cols)


def _inputs(rng, batch_size, dim, bilinear, temperature=None, symmetric=None):
    out = {
        "anchors": rng.standard_normal((batch_size, dim)).astype("float32"),
        "positives": rng.standard_normal((batch_size, dim)).astype("float32"),
    }
    if bilinear:
        out["kernel"] = (0.3 * rng.standard_normal((dim, dim))).astype("float32")
    return out


def test_matches_numpy_over_batch_sizes_temperatures_and_similarities():
    grid = [dict(batch_size=b, dim=d, bilinear=True) for b in (1, 3, 16) for d in (4, 32)]
    grid += [dict(batch_size=b, dim=8, bilinear=False, temperature=t) for b in (2, 16) for t in (0.05, 0.2, 1.0)]
    grid += [dict(case, symmetric=False) for case in grid]
    diagnostics = run_loss_test(cola_loss, _reference, _inputs, grid)
    assert 0.0 <= float(diagnostics["contrastive_accuracy"]) <= 1.0


def test_one_direction_scores_only_the_anchors_rows():
    # Anchor 0's positive wins its row, but anchor 1 beats positive 0's own anchor in column 0:
    # rows are all right, columns are not, so the one-direction accuracy is 1 and the symmetric one is not.
    kernel = np.eye(2, dtype="float32")
    anchors = np.array([[1.0, 0.0], [2.0, 1.0]], "float32")
    positives = np.array([[1.0, -0.5], [0.0, 3.0]], "float32")
    s = anchors @ kernel @ positives.T  # [[1, 0], [1.5, 3]]
    assert (s.argmax(1) == [0, 1]).all() and s.argmax(0)[0] == 1
    loss, diag = cola_loss(anchors, positives, kernel=kernel, symmetric=False)
    assert float(diag["contrastive_accuracy"]) == 1.0
    assert float(loss) == pytest.approx(_reference(anchors, positives, kernel, symmetric=False), rel=1e-6)
    _, both = cola_loss(anchors, positives, kernel=kernel)
    assert float(both["contrastive_accuracy"]) == 0.75
    assert np.asarray(diag["logits"]) == pytest.approx(s)


def test_closed_forms():
    b, d = 4, 6
    zeros = np.zeros((d, d), "float32")
    x = np.random.default_rng(0).standard_normal((b, d)).astype("float32")
    # A zero kernel scores every candidate alike: loss = entropy = log B.
    loss, diag = cola_loss(x, x, kernel=zeros)
    assert float(loss) == pytest.approx(np.log(b), rel=1e-6)
    assert float(diag["logits_entropy"]) == pytest.approx(np.log(b), rel=1e-5)
    # Orthogonal pairs, cosine with a tiny temperature: the positive wins outright.
    eye = np.eye(b, d, dtype="float32")
    loss, diag = cola_loss(eye, eye, temperature=0.01)
    assert float(loss) == pytest.approx(0.0, abs=1e-6) and float(diag["contrastive_accuracy"]) == 1.0


@pytest.mark.parametrize("symmetric", [True, False])
def test_gathered_candidates_give_the_global_loss(symmetric):
    # Two "replicas" of 3 pairs each: the mean of their losses is the one-device loss over 6 pairs.
    rng = np.random.default_rng(1)
    a, p = rng.standard_normal((6, 5)).astype("float32"), rng.standard_normal((6, 5)).astype("float32")
    k = rng.standard_normal((5, 5)).astype("float32")
    parts = [
        float(cola_loss(a[i:i + 3], p[i:i + 3], kernel=k, all_anchors=a, all_positives=p, offset=i,
                        symmetric=symmetric)[0])
        for i in (0, 3)
    ]
    assert np.mean(parts) == pytest.approx(float(cola_loss(a, p, kernel=k, symmetric=symmetric)[0]), rel=1e-5)


def test_rejects_a_bad_temperature():
    with pytest.raises(ValueError, match="temperature=0"):
        cola_loss(np.ones((2, 3)), np.ones((2, 3)), temperature=0)
