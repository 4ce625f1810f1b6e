"""Linear evaluation of frozen embeddings (the BYOL-A protocol), its MLP variant and leave-one-fold-out.

BYOL-A (Niizumi et al., 2021, IV-A5): embeddings from the frozen encoder are
standardised, one linear layer is trained with Adam and early stopping (patience 10 on
the validation split), and the accuracy is averaged over repeated runs with different
seeds. UrbanSound8K (10 folds) and ESC-50 (5 folds) are evaluated leave-one-fold-out.

HARES (Wang et al., 2022) trains "a linear layer on the frozen model" on every task
except AudioSet, where it uses a 1-hidden-layer MLP: `mlp_probe` is the same
procedure (standardisation, early stopping, runs) with one hidden ReLU layer.
"""

import collections

import keras
import numpy as np
import tensorflow as tf

from keras_audio_ssl.evaluation.classification_metrics import accuracy
from keras_audio_ssl.evaluation.classification_metrics import mean_average_precision
from keras_audio_ssl.evaluation.linear_classifier import LinearClassifier
from keras_audio_ssl.evaluation.splits import stratified_split


def _check_embeddings(x, name):
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 2:
        raise ValueError(f"`{name}` must be a 2-D array [N, D] of embeddings. Received: {name}.shape={x.shape}")
    if len(x) == 0:
        raise ValueError(f"`{name}` is empty. Received: {name}.shape={x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"`{name}` contains NaN or infinite values. Received: non-finite {name}")
    return x


def is_multi_label(y):
    """True when `y` is a 2-D multi-hot matrix rather than a vector of labels."""
    return np.asarray(y).ndim == 2


def _encode_labels(y_train, others):
    """Maps labels of any dtype to 0..C-1 with the classes seen in training.

    A label that appears only in a validation/test set keeps index -1: it can never be
    predicted, so it counts as an error (and is dropped from the validation loss).
    """
    classes = np.unique(np.asarray(y_train))
    lookup = {c: i for i, c in enumerate(classes.tolist())}
    encoded = [np.array([lookup.get(v, -1) for v in np.asarray(y).tolist()], dtype=np.int64) for y in others]
    return classes, encoded


def standardize(x_train, *others, eps=1e-8):
    """Standardises each dimension with the mean and std of `x_train` (constant dims stay 0)."""
    mean = x_train.mean(axis=0, keepdims=True)
    std = x_train.std(axis=0, keepdims=True)
    std = np.where(std < eps, 1.0, std)
    return [((x - mean) / std).astype(np.float32) for x in (x_train,) + others]


MLP_HIDDEN_UNITS = 512
# BYOL-A: "We ran each evaluation ten times and averaged the accuracy results."
DEFAULT_RUNS = 10


class _EarlyStoppingTrainer(LinearClassifier):
    """The linear (or one-hidden-layer) classifier with BYOL-A's early stopping on a validation split."""

    def __init__(self, input_dim, n_out, multi_label, learning_rate, hidden_units=None):
        super().__init__(input_dim, n_out, multi_label=multi_label, learning_rate=learning_rate,
                         hidden_units=hidden_units)
        spec_x = tf.TensorSpec([None, input_dim], tf.float32)
        spec_y = tf.TensorSpec([None, n_out] if multi_label else [None], tf.float32 if multi_label else tf.int64)
        self.evaluate = tf.function(self._evaluate, input_signature=[spec_x, spec_y])

    def _evaluate(self, x, y):
        logits = self.forward(x)
        if self.multi_label:
            hits = tf.constant(0.0)
        else:
            hits = keras.ops.mean(keras.ops.cast(keras.ops.equal(keras.ops.cast(keras.ops.argmax(logits, axis=1), "int64"), y), "float32"))
        return self.loss(y, logits), hits

    def fit_early_stopping(self, x_tr, y_tr, x_va, y_va, seed, epochs, patience, batch_size, monitor):
        """Returns the number of epochs run; the best weights on validation are restored."""
        self.reset(seed)
        rng = np.random.default_rng(seed)
        x_va, y_va = tf.constant(x_va), tf.constant(y_va)
        best, best_weights, waited, epoch = None, None, 0, 0
        for epoch in range(1, epochs + 1):
            order = rng.permutation(len(x_tr))
            for start in range(0, len(order), batch_size):
                batch = order[start : start + batch_size]
                self.train_step(x_tr[batch], y_tr[batch])
            val_loss, val_accuracy = (float(v) for v in self.evaluate(x_va, y_va))
            value = val_loss if monitor == "val_loss" else -val_accuracy
            if best is None or value < best:
                best, waited = value, 0
                best_weights = [v.numpy() for v in self.weights]
            else:
                waited += 1
                if waited >= patience:
                    break
        for variable, value in zip(self.weights, best_weights):
            variable.assign(value)
        return epoch


_TRAINERS = collections.OrderedDict()


def _trainer(input_dim, n_out, multi_label, learning_rate, hidden_units=None):
    """Reuses compiled trainers across calls (folds, encoders): tracing costs more than a probe."""
    key = (int(input_dim), int(n_out), bool(multi_label), float(learning_rate),
           None if hidden_units is None else int(hidden_units))
    if key not in _TRAINERS:
        _TRAINERS[key] = _EarlyStoppingTrainer(*key)
        if len(_TRAINERS) > 8:
            _TRAINERS.popitem(last=False)
    _TRAINERS.move_to_end(key)
    return _TRAINERS[key]


def linear_probe(
    x_train,
    y_train,
    x_test,
    y_test,
    *,
    x_valid=None,
    y_valid=None,
    runs=DEFAULT_RUNS,
    seed=0,
    epochs=200,
    patience=10,
    learning_rate=1e-3,
    batch_size=64,
    valid_fraction=0.1,
    monitor="val_loss",
    hidden_units=None,
):
    """Trains one linear layer on standardised frozen embeddings, `runs` times.

    Single-label `y` (a vector of labels of any dtype): softmax layer, accuracy.
    Multi-label `y` (a multi-hot matrix `[N, C]`): sigmoid layer, mAP.

    Args:
        x_train, x_test: embeddings `[N, D]`.
        y_train, y_test: labels `[N]` or multi-hot `[N, C]`.
        x_valid, y_valid: validation split for early stopping; when omitted, a
            stratified `valid_fraction` of the training set is carved out (seeded by
            `seed`, the same for every run). If no usable validation example is
            left (tiny sets), early stopping watches the training loss.
        runs: number of repetitions with seeds `seed, seed + 1, ...` (BYOL-A: 10).
        seed: base seed.
        epochs: maximum number of epochs.
        patience: early-stopping patience in epochs (BYOL-A: 10); the best weights
            on the validation split are restored.
        learning_rate: Adam learning rate.
        batch_size: minibatch size. Small sets need enough Adam steps: with 64,
            200 epochs of 1,000 examples are ~3,000 steps.
        valid_fraction: share of the training set used for validation when no
            validation split is given.
        monitor: what early stopping watches (`"val_loss"` or `"val_accuracy"`).
        hidden_units: None (one linear layer) or the width of one hidden ReLU
            layer before it (`mlp_probe`).

    Returns:
        dict: `metric` ("accuracy" or "mAP"), `<metric>` (mean over runs),
        `<metric>_std`, `<metric>s` (per run, e.g. `accuracies`), `score`,
        `score_std`, `scores` (the same under neutral names), `epochs_trained` and
        `predictions` (test predictions of the last run).

    Example:
    >>> x = np.random.default_rng(0).normal(size=(200, 8)); y = (x[:, 0] > 0).astype(int)
    >>> linear_probe(x[:150], y[:150], x[150:], y[150:], runs=1)["accuracy"] > 0.9
    True
    """
    if runs < 1:
        raise ValueError(f"`runs` must be >= 1. Received: runs={runs}")
    if patience < 0 or epochs < 1:
        raise ValueError(f"`epochs` must be >= 1 and `patience` >= 0. Received: epochs={epochs}, patience={patience}")
    if (x_valid is None) != (y_valid is None):
        raise ValueError(
            "Give both `x_valid` and `y_valid` or neither. "
            f"Received: x_valid is None={x_valid is None}, y_valid is None={y_valid is None}"
        )
    x_train = _check_embeddings(x_train, "x_train")
    x_test = _check_embeddings(x_test, "x_test")
    y_train = np.asarray(y_train)
    y_test = np.asarray(y_test)
    for xs, ys, name in ((x_train, y_train, "train"), (x_test, y_test, "test")):
        if len(xs) != len(ys):
            raise ValueError(f"x_{name} and y_{name} differ in length. Received: {len(xs)} vs {len(ys)}")
    if x_valid is None:
        train_idx, valid_idx = stratified_split(y_train, valid_fraction, seed)
        x_train, x_valid, y_train, y_valid = x_train[train_idx], x_train[valid_idx], y_train[train_idx], y_train[valid_idx]
    else:
        x_valid = _check_embeddings(x_valid, "x_valid")
        y_valid = np.asarray(y_valid)
    x_train, x_valid, x_test = standardize(x_train, x_valid, x_test)

    multi_label = is_multi_label(y_train)
    if multi_label:
        if y_test.ndim != 2 or y_test.shape[1] != y_train.shape[1]:
            raise ValueError(
                f"Multi-label y_test must be [N, {y_train.shape[1]}]. Received: y_test.shape={y_test.shape}"
            )
        n_out = y_train.shape[1]
        y_tr, y_va, y_te = (y.astype(np.float32) for y in (y_train, y_valid, y_test))
        metric = "mAP"
        if monitor == "val_accuracy":
            monitor = "val_loss"
    else:
        classes, (y_tr, y_va, y_te) = _encode_labels(y_train, (y_train, y_valid, y_test))
        n_out = len(classes)
        if n_out < 2:
            raise ValueError(f"The training set needs at least 2 classes. Received: classes={classes.tolist()}")
        # Validation examples of a class unseen in training cannot be scored by the loss.
        keep = y_va >= 0
        x_valid, y_va = x_valid[keep], y_va[keep]
        metric = "accuracy"
    if len(x_valid) == 0:
        # Tiny sets (every class a singleton in training): nothing can be held out, so
        # early stopping watches the training loss instead.
        x_valid, y_va = x_train, y_tr

    if monitor not in ("val_loss", "val_accuracy"):
        raise ValueError(f"`monitor` must be 'val_loss' or 'val_accuracy'. Received: monitor={monitor!r}")
    trainer = _trainer(x_train.shape[1], n_out, multi_label, learning_rate, hidden_units)
    scores, epochs_trained = [], []
    for run in range(runs):
        n_epochs = trainer.fit_early_stopping(x_train, y_tr, x_valid, y_va, seed + run, epochs, patience, batch_size,
                                              monitor)
        logits = trainer.predict_logits(x_test)
        if multi_label:
            predictions = logits
            scores.append(mean_average_precision(y_te, logits))
        else:
            predictions = classes[np.argmax(logits, axis=1)]
            scores.append(accuracy(np.asarray(y_test), predictions))
        epochs_trained.append(n_epochs)
    return {**_summary(metric, scores), "epochs_trained": epochs_trained, "predictions": predictions}


def mlp_probe(x_train, y_train, x_test, y_test, *, hidden_units=MLP_HIDDEN_UNITS, **probe_kwargs):
    """`linear_probe` with one hidden ReLU layer: HARES's AudioSet protocol (Wang et al., 2022).

    HARES evaluates AudioSet with "a 1-hidden-layer MLP" on the frozen model (every
    other task with a linear layer). The standardisation, early stopping, runs and
    metric (mAP for multi-hot `y`, else accuracy) are `linear_probe`'s.

    Args:
        hidden_units: width of the hidden layer. The paper does not state it in
            the parts read here; 512 is this package's default.
        **probe_kwargs: `linear_probe`'s (`x_valid`, `y_valid`, `runs`, `seed`,
            `epochs`, `patience`, `learning_rate`, `batch_size`, ...).

    Example:
    >>> x = np.random.default_rng(0).uniform(-1, 1, size=(600, 2)); y = (x[:, 0] * x[:, 1] > 0).astype(int)
    >>> mlp_probe(x[:400], y[:400], x[400:], y[400:], runs=1, learning_rate=1e-2)["accuracy"] > 0.9
    True
    """
    if hidden_units is None:
        raise ValueError("`mlp_probe` needs a hidden layer width; use `linear_probe` for none. Received: hidden_units=None")
    return linear_probe(x_train, y_train, x_test, y_test, hidden_units=hidden_units, **probe_kwargs)


def leave_one_fold_out(x, y, folds, *, runs=DEFAULT_RUNS, seed=0, **probe_kwargs):
    """Linear probe on each fold in turn, trained on all other folds.

    The validation split for early stopping is carved from the training folds
    (stratified, seeded). The reported mean is over folds; the std is over runs of
    the fold-averaged score (the spread due to probe seeds), as in BYOL-A's US8K
    numbers.

    Args:
        x: embeddings `[N, D]`.
        y: labels `[N]` or multi-hot `[N, C]`.
        folds: fold id per example `[N]` (e.g. 1..10 for UrbanSound8K).
        runs, seed, **probe_kwargs: passed to `linear_probe`.

    Returns:
        dict with `metric`, `<metric>`, `<metric>_std`, `score`, `score_std`,
        `scores` (fold-averaged, per run) and `per_fold`: a list of
        `{"fold", "score", "score_std", "scores"}`.
    """
    x = _check_embeddings(x, "x")
    y = np.asarray(y)
    folds = np.asarray(folds)
    if not (len(x) == len(y) == len(folds)):
        raise ValueError(f"x, y and folds must have the same length. Received: {len(x)}, {len(y)}, {len(folds)}")
    unique_folds = np.unique(folds)
    if len(unique_folds) < 2:
        raise ValueError(f"Leave-one-fold-out needs at least 2 folds. Received: folds={unique_folds.tolist()}")
    per_fold = []
    metric = None
    for fold in unique_folds:
        test = folds == fold
        result = linear_probe(x[~test], y[~test], x[test], y[test], runs=runs, seed=seed, **probe_kwargs)
        metric = result["metric"]
        per_fold.append(
            {"fold": fold.item(), "score": result["score"], "score_std": result["score_std"], "scores": result["scores"]}
        )
    by_run = np.mean([f["scores"] for f in per_fold], axis=0)
    return {**_summary(metric, by_run), "per_fold": per_fold}


def _summary(metric, scores):
    """Mean, std and per-run scores under the metric's own names and neutral ones."""
    plural = "accuracies" if metric == "accuracy" else "mAPs"
    scores = [float(s) for s in scores]
    mean, std = float(np.mean(scores)), float(np.std(scores))
    return {
        "metric": metric,
        metric: mean,
        f"{metric}_std": std,
        plural: scores,
        "score": mean,
        "score_std": std,
        "scores": scores,
    }
