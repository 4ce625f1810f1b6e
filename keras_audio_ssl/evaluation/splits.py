"""Seeded, stratified train/validation splits for the probes."""

import numpy as np


def stratified_split(labels, fraction=0.1, seed=0):
    """Splits indices into (train, valid) keeping each class's share in both.

    Each class with at least two examples gives `round(fraction * n)` (at least one)
    examples to the validation part; a class with a single example stays in train.
    When every class is a singleton (tiny sets), a plain random share is used instead,
    so that a validation split always exists.
    For a multi-hot `labels` matrix the split is random (stratifying multi-label data
    needs iterative stratification, not worth it for a validation split).

    Args:
        labels: array `[N]` of class labels, or a multi-hot matrix `[N, C]`.
        fraction: share of each class moved to validation, in (0, 1).
        seed: seed of the shuffle.

    Returns:
        `(train_indices, valid_indices)`, both sorted int arrays.
    """
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"`fraction` must be in (0, 1). Received: fraction={fraction}")
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    n = len(labels)
    if labels.ndim == 2:
        order = rng.permutation(n)
        n_valid = max(1, int(round(fraction * n)))
        return np.sort(order[n_valid:]), np.sort(order[:n_valid])
    valid = []
    for cls in np.unique(labels):
        members = np.flatnonzero(labels == cls)
        if len(members) < 2:
            continue
        members = rng.permutation(members)
        valid.extend(members[: max(1, int(round(fraction * len(members))))])
    if not valid:
        valid = rng.permutation(n)[: max(1, int(round(fraction * n)))]
    valid = np.sort(np.asarray(valid, dtype=np.int64))
    train = np.setdiff1d(np.arange(n), valid)
    return train, valid
