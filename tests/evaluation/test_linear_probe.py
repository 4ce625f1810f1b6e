import numpy as np
import pytest

from keras_audio_ssl.evaluation import leave_one_fold_out
from keras_audio_ssl.evaluation import linear_probe
from keras_audio_ssl.evaluation import mlp_probe
from keras_audio_ssl.evaluation import stratified_split


def _clusters(rng, n, n_classes=4, dim=16, spread=0.3):
    centres = rng.normal(size=(n_classes, dim)) * 3.0
    y = rng.integers(0, n_classes, n)
    return centres[y] + spread * rng.normal(size=(n, dim)), y


def test_linearly_separable_embeddings_give_accuracy_one(rng):
    x, y = _clusters(rng, 240)
    labels = np.array(["dog", "cat", "car", "rain"])[y]  # any label dtype
    result = linear_probe(x[:180], labels[:180], x[180:], labels[180:], runs=2, epochs=100, batch_size=32)
    assert result["accuracy"] == 1.0
    assert result["accuracies"] == [1.0, 1.0]
    assert result["accuracy_std"] == 0.0
    assert set(result["predictions"]) <= set(labels)


def test_shuffled_labels_give_chance(rng):
    # 4 balanced classes, labels independent of the embeddings: accuracy ~ 0.25.
    # With 2,000 test examples the std of one run is ~0.01; the band is ~5 std wide.
    x = rng.normal(size=(3000, 8))
    y = rng.integers(0, 4, 3000)
    result = linear_probe(x[:1000], y[:1000], x[1000:], y[1000:], runs=2, epochs=30, patience=3)
    assert 0.19 < result["accuracy"] < 0.31


def test_runs_use_different_seeds_and_validation_is_used(rng):
    x, y = _clusters(rng, 200, spread=2.5)
    result = linear_probe(x[:150], y[:150], x[150:], y[150:], x_valid=x[100:150], y_valid=y[100:150], runs=3,
                          epochs=40, patience=2)
    assert len(result["accuracies"]) == 3
    assert len(set(result["epochs_trained"])) > 1 or len(set(result["accuracies"])) > 1
    assert all(e <= 40 for e in result["epochs_trained"])


def test_same_seed_same_result(rng):
    x, y = _clusters(rng, 200, spread=3.0)
    first = linear_probe(x[:150], y[:150], x[150:], y[150:], runs=2, seed=5, epochs=30, batch_size=32)
    second = linear_probe(x[:150], y[:150], x[150:], y[150:], runs=2, seed=5, epochs=30, batch_size=32)
    assert first["accuracies"] == second["accuracies"]
    assert first["epochs_trained"] == second["epochs_trained"]


def test_early_stopping_stops_when_validation_stops_improving(rng):
    # Validation labels are noise: validation loss stops improving almost at once.
    x, y = _clusters(rng, 300)
    result = linear_probe(x[:200], y[:200], x[200:], y[200:], x_valid=x[:50], y_valid=rng.permutation(y[:50]),
                          runs=1, epochs=200, patience=3)
    assert result["epochs_trained"][0] < 200


def test_multi_label_gives_map(rng):
    x, y = _clusters(rng, 300, n_classes=4)
    multi_hot = np.stack([y == 0, y == 1, (y == 2) | (y == 3), y >= 1], axis=1).astype(np.float32)
    result = linear_probe(x[:200], multi_hot[:200], x[200:], multi_hot[200:], runs=1, epochs=100, batch_size=32)
    assert result["metric"] == "mAP"
    assert result["mAP"] > 0.99
    assert result["predictions"].shape == (100, 4)


def test_unseen_test_class_counts_as_error(rng):
    x, y = _clusters(rng, 200, n_classes=3)
    train = y < 2
    result = linear_probe(x[train], y[train], x, y, runs=1, epochs=60, batch_size=32)
    predictions = result["predictions"]
    assert not np.any(predictions == 2)  # never predicted: class 2 rows are all errors
    assert result["accuracy"] == pytest.approx(np.mean(predictions == y))
    assert result["accuracy"] <= np.mean(y < 2)
    assert np.mean(predictions[y < 2] == y[y < 2]) > 0.95


def test_leave_one_fold_out_reports_each_fold(rng):
    x, y = _clusters(rng, 200)
    folds = np.arange(200) % 5 + 1
    result = leave_one_fold_out(x, y, folds, runs=2, epochs=60, batch_size=32)
    assert [f["fold"] for f in result["per_fold"]] == [1, 2, 3, 4, 5]
    assert all(f["score"] == 1.0 for f in result["per_fold"])
    assert result["accuracy"] == 1.0 and len(result["accuracies"]) == 2


def test_leave_one_fold_out_mean_is_mean_of_folds(rng):
    x = rng.normal(size=(120, 4))
    y = rng.integers(0, 3, 120)
    folds = np.repeat([1, 2, 3], 40)
    result = leave_one_fold_out(x, y, folds, runs=2, epochs=20, patience=2)
    assert result["score"] == pytest.approx(np.mean([f["score"] for f in result["per_fold"]]))


def test_stratified_split_keeps_class_shares():
    y = np.array([0] * 50 + [1] * 30 + [2] * 1)
    train, valid = stratified_split(y, 0.2, seed=3)
    assert np.bincount(y[valid], minlength=3).tolist() == [10, 6, 0]
    assert sorted(np.r_[train, valid].tolist()) == list(range(len(y)))
    again = stratified_split(y, 0.2, seed=3)
    assert np.array_equal(valid, again[1])


def test_stratified_split_of_singletons_still_gives_a_validation_part():
    train, valid = stratified_split(np.arange(20), 0.1, seed=0)
    assert len(valid) == 2 and len(train) == 18


def test_bad_inputs_raise(rng):
    x = rng.normal(size=(10, 3))
    with pytest.raises(ValueError, match="x_train"):
        linear_probe(x[:, 0], np.zeros(10), x, np.zeros(10))
    bad = x.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="non-finite"):
        linear_probe(bad, np.arange(10) % 2, x, np.arange(10) % 2)
    with pytest.raises(ValueError, match="runs"):
        linear_probe(x, np.arange(10) % 2, x, np.arange(10) % 2, runs=0)


def test_mlp_probe_solves_a_multi_label_xor_the_linear_probe_cannot(rng):
    # Tag 0 is XOR of the signs of two coordinates (no linear separation), tag 1 a
    # half-plane (linear); plus 6 noise dimensions.
    x = rng.uniform(-1, 1, size=(1200, 8))
    y = np.stack([x[:, 0] * x[:, 1] > 0, x[:, 2] > 0], axis=1).astype(np.float32)
    settings = dict(runs=1, epochs=60, patience=10, learning_rate=1e-2)
    linear = linear_probe(x[:900], y[:900], x[900:], y[900:], **settings)
    mlp = mlp_probe(x[:900], y[:900], x[900:], y[900:], hidden_units=64, **settings)
    assert linear["metric"] == mlp["metric"] == "mAP"
    assert linear["mAP"] < 0.85  # ~ (0.5 for XOR + 1.0) / 2
    assert mlp["mAP"] > 0.95
    assert mlp["predictions"].shape == (300, 2)
    with pytest.raises(ValueError, match="hidden_units"):
        mlp_probe(x[:900], y[:900], x[900:], y[900:], hidden_units=0, runs=1, epochs=1)


def test_mlp_probe_restores_its_best_weights_and_is_seeded(rng):
    x, y = _clusters(rng, 200, spread=3.0)
    first = mlp_probe(x[:150], y[:150], x[150:], y[150:], runs=2, seed=3, epochs=20, hidden_units=16)
    second = mlp_probe(x[:150], y[:150], x[150:], y[150:], runs=2, seed=3, epochs=20, hidden_units=16)
    assert first["accuracies"] == second["accuracies"] and first["epochs_trained"] == second["epochs_trained"]
