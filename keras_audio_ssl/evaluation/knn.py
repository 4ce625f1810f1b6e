"""Cosine k-nearest-neighbour classification of frozen embeddings.

Fonseca et al., "Unsupervised contrastive learning of sound event representations"
(2021) evaluate representations by majority voting across the k = 200 training
examples closest (cosine similarity) to each test embedding.
"""

import numpy as np

from keras_audio_ssl.evaluation.classification_metrics import accuracy


def _unit_rows(x, name):
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 2 or len(x) == 0:
        raise ValueError(f"`{name}` must be a non-empty 2-D array [N, D]. Received: {name}.shape={x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"`{name}` contains NaN or infinite values. Received: non-finite {name}")
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    # A zero embedding has no direction: it gets similarity 0 to everything.
    return x / np.maximum(norms, 1e-12)


def knn_predict(x_train, y_train, x_query, k=200, chunk_size=1024):
    """Predicts a label per query row by majority vote of its k most cosine-similar train rows.

    Ties between classes with the same number of votes go to the class whose voters
    have the largest summed cosine similarity; if that ties too, to the class sorted
    first (`np.unique` order). `k` larger than the training set uses every row.
    """
    if k < 1:
        raise ValueError(f"`k` must be >= 1. Received: k={k}")
    train = _unit_rows(x_train, "x_train")
    query = _unit_rows(x_query, "x_query")
    if train.shape[1] != query.shape[1]:
        raise ValueError(f"Embedding sizes differ. Received: x_train D={train.shape[1]}, x_query D={query.shape[1]}")
    classes, y_index = np.unique(np.asarray(y_train), return_inverse=True)
    if len(y_index) != len(train):
        raise ValueError(f"x_train and y_train differ in length. Received: {len(train)} vs {len(y_index)}")
    k = min(k, len(train))
    n_classes = len(classes)
    predictions = np.empty(len(query), dtype=np.int64)
    for start in range(0, len(query), chunk_size):
        sims = query[start : start + chunk_size] @ train.T
        if k < len(train):
            neighbours = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        else:
            neighbours = np.broadcast_to(np.arange(len(train)), sims.shape)
        neighbour_sims = np.take_along_axis(sims, neighbours, axis=1)
        neighbour_labels = y_index[neighbours]
        rows = np.repeat(np.arange(len(sims)), k)
        votes = np.zeros((len(sims), n_classes))
        np.add.at(votes, (rows, neighbour_labels.ravel()), 1.0)
        weight = np.zeros((len(sims), n_classes))
        np.add.at(weight, (rows, neighbour_labels.ravel()), neighbour_sims.ravel())
        # Lexicographic: votes first, summed similarity second, class order last.
        best = votes == votes.max(axis=1, keepdims=True)
        weight = np.where(best, weight, -np.inf)
        predictions[start : start + chunk_size] = np.argmax(weight, axis=1)
    return classes[predictions]


def knn(x_train, y_train, x_test, y_test, k=200):
    """Cosine kNN accuracy (majority vote over `k` neighbours; Fonseca et al. use k=200).

    Args:
        x_train, x_test: embeddings `[N, D]`.
        y_train, y_test: labels `[N]` of any dtype.
        k: number of neighbours.

    Returns:
        dict with `metric` ("accuracy"), `accuracy`, `score` and `predictions`.

    Example:
    >>> knn([[1, 0], [0, 1]], ["a", "b"], [[0.9, 0.1]], ["a"], k=1)["accuracy"]
    1.0
    """
    predictions = knn_predict(x_train, y_train, x_test, k=k)
    score = accuracy(np.asarray(y_test), predictions)
    return {"metric": "accuracy", "accuracy": score, "score": score, "score_std": 0.0, "k": int(k), "predictions": predictions}
