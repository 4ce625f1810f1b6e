"""Fine-tuning: the encoder unfrozen under a linear classifier head, trained end to end."""

import keras
import numpy as np

from keras_audio_ssl.evaluation.classification_metrics import accuracy
from keras_audio_ssl.evaluation.splits import stratified_split


def _as_waveforms(x, name):
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 2 or len(x) == 0:
        raise ValueError(
            f"`{name}` must be a non-empty array [N, samples] of equal-length waveforms "
            f"(crop or pad clips first). Received: {name}.shape={x.shape}"
        )
    if not np.all(np.isfinite(x)):
        raise ValueError(f"`{name}` contains NaN or infinite samples. Received: non-finite {name}")
    return x


def fine_tune(
    embedding_model,
    x_train,
    y_train,
    x_test,
    y_test,
    *,
    x_valid=None,
    y_valid=None,
    epochs=50,
    patience=10,
    learning_rate=1e-4,
    batch_size=32,
    dropout=0.0,
    valid_fraction=0.1,
    seed=0,
):
    """Trains `embedding_model` end to end with a softmax head; returns test accuracy.

    The embedding model (waveform -> embedding) is set trainable, except its
    normalisation statistics which stay frozen; a Dense head maps the embedding to the
    classes. Early stopping on validation loss restores the best weights. The given
    model's weights are changed in place (clone it first to keep the original).

    Args:
        embedding_model: waveform `[B, N]` -> `[B, d]` keras.Model.
        x_train, x_test: waveforms `[N, samples]` (all clips of equal length).
        y_train, y_test: labels `[N]` of any dtype.
        x_valid, y_valid: validation waveforms/labels; carved from train (stratified)
            when omitted.
        epochs, patience, learning_rate, batch_size: training settings (Adam).
        dropout: dropout rate before the head.
        valid_fraction: share of train used for validation when none is given.
        seed: seed of the head initialisation, shuffling and split.

    Returns:
        dict with `metric`, `accuracy`, `score`, `epochs_trained`, `predictions` and
        `model` (the fine-tuned classifier, waveform -> logits).
    """
    x_train = _as_waveforms(x_train, "x_train")
    x_test = _as_waveforms(x_test, "x_test")
    y_train = np.asarray(y_train)
    y_test = np.asarray(y_test)
    if (x_valid is None) != (y_valid is None):
        raise ValueError("Give both `x_valid` and `y_valid` or neither. Received: only one of them")
    if x_valid is None:
        tr, va = stratified_split(y_train, valid_fraction, seed)
        x_train, x_valid, y_train, y_valid = x_train[tr], x_train[va], y_train[tr], y_train[va]
    else:
        x_valid = _as_waveforms(x_valid, "x_valid")
        y_valid = np.asarray(y_valid)
    classes = np.unique(y_train)
    if len(classes) < 2:
        raise ValueError(f"The training set needs at least 2 classes. Received: classes={classes.tolist()}")
    lookup = {c: i for i, c in enumerate(classes.tolist())}
    y_tr = np.array([lookup[v] for v in y_train.tolist()])
    keep = np.array([v in lookup for v in y_valid.tolist()])
    x_valid, y_va = x_valid[keep], np.array([lookup[v] for v in y_valid[keep].tolist()])

    keras.utils.set_random_seed(seed)
    embedding_model.trainable = True
    for layer in embedding_model.layers:
        # Normalisation statistics are data statistics, not parameters to fine-tune.
        if type(layer).__name__ == "PreNormalization" or layer.name.startswith("pre_normalization"):
            layer.trainable = False
    inputs = keras.Input(batch_shape=(None, x_train.shape[1]), dtype="float32")
    features = embedding_model(inputs)
    if dropout:
        features = keras.layers.Dropout(dropout, seed=seed)(features)
    logits = keras.layers.Dense(len(classes), kernel_initializer=keras.initializers.GlorotUniform(seed=seed))(features)
    model = keras.Model(inputs, logits, name="fine_tuned_classifier")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
    )
    stopper = keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True)
    history = model.fit(
        x_train, y_tr, validation_data=(x_valid, y_va), epochs=epochs, batch_size=batch_size,
        callbacks=[stopper], verbose=0,
    )
    predictions = classes[np.argmax(model.predict(x_test, batch_size=batch_size, verbose=0), axis=1)]
    score = accuracy(y_test, predictions)
    return {
        "metric": "accuracy",
        "accuracy": score,
        "score": score,
        "score_std": 0.0,
        "epochs_trained": len(history.history["loss"]),
        "predictions": predictions,
        "model": model,
    }
