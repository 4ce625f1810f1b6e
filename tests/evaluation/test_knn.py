import numpy as np
import pytest

from keras_audio_ssl.evaluation import knn
from keras_audio_ssl.evaluation import knn_predict


def test_knn_on_known_clusters(rng):
    # Clusters along orthogonal directions: cosine kNN must recover them, k=200 included.
    centres = np.eye(3, 8) * 5.0
    y = np.repeat([0, 1, 2], 320)
    x = centres[y] + 0.5 * rng.normal(size=(960, 8))
    order = rng.permutation(960)
    x, y = x[order], y[order]
    result = knn(x[:750], y[:750], x[750:], y[750:], k=200)
    # ~250 training rows per class: all 200 nearest neighbours share the query's class.
    assert result["accuracy"] == 1.0


def test_knn_is_cosine_not_euclidean():
    # The query is far from "a" in Euclidean distance but points the same way.
    x_train = np.array([[10.0, 0.0], [0.1, 0.2]])
    assert knn_predict(x_train, ["a", "b"], [[1.0, 0.0]], k=1).tolist() == ["a"]


def test_majority_vote_and_documented_tie_break():
    x_train = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
    y_train = np.array(["a", "a", "b", "b"])
    # 3 neighbours: two "a" beat one "b".
    assert knn_predict(x_train, y_train, [[1.0, 0.05]], k=3).tolist() == ["a"]
    # k=4: 2 votes each; "b" voters are more similar in sum -> "b".
    assert knn_predict(x_train, y_train, [[0.2, 1.0]], k=4).tolist() == ["b"]


def test_k_larger_than_training_set_uses_all_rows():
    result = knn([[1.0, 0.0], [0.0, 1.0], [1.0, 0.1]], [0, 1, 0], [[0.0, 1.0]], [0], k=200)
    assert result["accuracy"] == 1.0  # 2 votes for 0 out of 3


def test_bad_k_raises():
    with pytest.raises(ValueError, match="k=0"):
        knn_predict([[1.0]], [0], [[1.0]], k=0)
