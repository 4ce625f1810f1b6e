"""Clip-level classification metrics: accuracy and mean average precision (mAP)."""

import numpy as np


def accuracy(y_true, y_pred):
    """Fraction of predictions equal to the reference labels.

    Args:
        y_true: array `[N]` of reference labels (any comparable dtype).
        y_pred: array `[N]` of predicted labels.

    Example:
    >>> accuracy([0, 1, 2, 2], [0, 1, 1, 2])
    0.75
    """
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError(
            "`y_true` and `y_pred` must be 1-D arrays of the same length. "
            f"Received: y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}"
        )
    if len(y_true) == 0:
        raise ValueError(f"Cannot compute accuracy of zero examples. Received: y_true.shape={y_true.shape}")
    return float(np.mean(y_true == y_pred))


def average_precision(y_true, scores):
    """Average precision of one class: sum over thresholds of (R_n - R_{n-1}) * P_n.

    Tied scores form one threshold (the definition scikit-learn and the AudioSet /
    FSD50K evaluations use), so the result does not depend on the order of ties.

    Args:
        y_true: array `[N]` of 0/1 (or bool) reference labels, at least one positive.
        scores: array `[N]` of real-valued scores (higher = more likely positive).
    """
    y_true = np.asarray(y_true).astype(bool)
    scores = np.asarray(scores, dtype=np.float64)
    if y_true.shape != scores.shape or y_true.ndim != 1:
        raise ValueError(
            f"`y_true` and `scores` must be 1-D of the same length. "
            f"Received: y_true.shape={y_true.shape}, scores.shape={scores.shape}"
        )
    n_pos = int(y_true.sum())
    if n_pos == 0:
        raise ValueError("Average precision needs at least one positive example. Received: y_true.sum()=0")
    if not np.all(np.isfinite(scores)):
        raise ValueError("`scores` contains NaN or infinite values. Received: non-finite scores")
    order = np.argsort(-scores, kind="stable")
    sorted_scores = scores[order]
    hits = y_true[order]
    # Last index of each group of equal scores = one threshold.
    last_of_group = np.r_[np.nonzero(np.diff(sorted_scores))[0], len(scores) - 1]
    tp = np.cumsum(hits)[last_of_group]
    predicted = last_of_group + 1
    precision = tp / predicted
    recall = tp / n_pos
    recall_steps = np.diff(np.r_[0.0, recall])
    return float(np.sum(recall_steps * precision))


def mean_average_precision(y_true, scores):
    """Mean over classes of the average precision (multi-label mAP, as in FSD50K / AudioSet).

    Classes with no positive example in `y_true` are left out of the mean (their AP is
    undefined).

    Args:
        y_true: multi-hot array `[N, C]`.
        scores: array `[N, C]` of scores.

    Example:
    >>> mean_average_precision([[1, 0], [0, 1]], [[0.9, 0.2], [0.1, 0.8]])
    1.0
    """
    y_true = np.asarray(y_true)
    scores = np.asarray(scores)
    if y_true.ndim != 2 or y_true.shape != scores.shape:
        raise ValueError(
            "`y_true` and `scores` must be 2-D arrays `[N, C]` of the same shape. "
            f"Received: y_true.shape={y_true.shape}, scores.shape={scores.shape}"
        )
    aps = [average_precision(y_true[:, c], scores[:, c]) for c in range(y_true.shape[1]) if y_true[:, c].any()]
    if not aps:
        raise ValueError("No class has a positive example. Received: y_true.sum()=0")
    return float(np.mean(aps))
