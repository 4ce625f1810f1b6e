"""BYOL regression loss."""

from keras import ops

from keras_audio_ssl.layers import l2_normalize
from keras_audio_ssl.precision import to_float32


def byol_loss(predictions, targets, reduction="mean"):
    """BYOL loss `2 - 2 * cos(p, z)` between predictions and target projections.

    The mean squared error between L2-normalized vectors (Grill et al., 2020,
    eq. 2), as used by BYOL-A (Niizumi et al., 2021). 0 for identical
    directions, 4 for opposite ones. The caller symmetrizes it by swapping
    the views. Gradients do not flow into `targets` (stop-gradient).

    Args:
        predictions: `[B, D]` online predictions.
        targets: `[B, D]` target projections.
        reduction: `"mean"` (scalar) or `None` (per-sample `[B]`).

    Example:
    >>> byol_loss(np.ones((2, 3)), -np.ones((2, 3)))  # 4.0
    """
    if reduction not in ("mean", None):
        raise ValueError(
            f"`reduction` must be 'mean' or None. Received: reduction={reduction}"
        )
    predictions, targets = to_float32(predictions, targets)  # float32 under a mixed policy
    p = l2_normalize(predictions)
    z = l2_normalize(ops.stop_gradient(targets))
    per_sample = 2.0 - 2.0 * ops.sum(p * z, axis=-1)
    if reduction is None:
        return per_sample
    return ops.mean(per_sample)
