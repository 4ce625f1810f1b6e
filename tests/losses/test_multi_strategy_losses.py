"""Frame-level (eq. 4) and pitch-shift (eq. 6) losses against plain NumPy and closed forms."""

import numpy as np
import pytest

from keras_audio_ssl.losses import frame_contrastive_loss
from keras_audio_ssl.losses import pitch_shift_loss


def _reference(frames, kernel, temperature, m):
    frames = frames.astype("float64")
    total, count = 0.0, 0
    for clip in frames:
        if kernel is None:
            unit = clip / np.linalg.norm(clip, axis=1, keepdims=True)
            sims = unit @ unit.T / temperature
        else:
            sims = clip @ kernel.astype("float64") @ clip.T
        for t in range(len(clip)):
            near = [i for i in range(len(clip)) if abs(i - t) <= m]
            total += np.log(np.exp(sims[t, near]).sum() / np.exp(sims[t]).sum())
            count += 1
    return -total / count / (2 * m + 1)


@pytest.mark.parametrize("batch, steps, dim", [(1, 3, 4), (2, 12, 8), (5, 7, 3)])
@pytest.mark.parametrize("m", [0, 1, 2])
@pytest.mark.parametrize("bilinear", [True, False])
def test_frame_loss_matches_numpy(batch, steps, dim, m, bilinear):
    rng = np.random.default_rng(batch * 100 + steps + m)
    frames = rng.standard_normal((batch, steps, dim)).astype("float32")
    kernel = 0.3 * rng.standard_normal((dim, dim)).astype("float32") if bilinear else None
    loss, accuracy = frame_contrastive_loss(frames, kernel=kernel, temperature=0.2, m=m)
    assert float(loss) == pytest.approx(_reference(frames, kernel, 0.2, m), rel=1e-4, abs=1e-5)
    assert 0.0 <= float(accuracy) <= 1.0


def test_frame_loss_closed_form_for_orthogonal_frames():
    # T orthogonal unit frames, cosine / τ: own similarity 1/τ, all others 0.
    steps, t = 4, 0.5
    frames = np.eye(steps, dtype="float32")[None]
    loss, accuracy = frame_contrastive_loss(frames, temperature=t, m=0)
    assert float(loss) == pytest.approx(-(1 / t - np.log(np.exp(1 / t) + steps - 1)), rel=1e-5)
    assert float(accuracy) == 1.0
    with pytest.raises(ValueError, match="m=-1"):
        frame_contrastive_loss(frames, m=-1)


def test_pitch_loss_is_zero_when_the_outputs_differ_by_the_shift():
    rng = np.random.default_rng(0)
    original = rng.standard_normal((3, 5)).astype("float32")
    shift = np.array([1.0, -2.0, 0.5], "float32")
    assert float(pitch_shift_loss(original + shift[:, None], original, shift)) == pytest.approx(0.0, abs=1e-7)
    shifted = rng.standard_normal((3, 5)).astype("float32")
    expected = np.mean((shifted - original - shift[:, None]) ** 2)
    assert float(pitch_shift_loss(shifted, original, shift)) == pytest.approx(expected, rel=1e-6)
