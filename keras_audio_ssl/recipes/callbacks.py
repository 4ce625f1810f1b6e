"""Callbacks shared by the pretraining recipes.

- `StopOnNaN`: stops at the first non-finite loss and keeps a message naming the
  epoch and step (the recipe raises `TrainingDivergedError` with it).
- `EncoderCheckpoint`: the online encoder's weights after every epoch, keeping the
  last few (the whole BYOL model with its Adam state is ~12x larger).
- `ReportDecodeFailures`: names the files skipped for failing to decode, per epoch.
- `KNNMonitor`: cosine-kNN accuracy on a small labelled set every N epochs, in the logs.
"""

import math
import os
import sys

import keras


class TrainingDivergedError(RuntimeError):
    """Raised by a recipe when the loss became NaN or infinite."""


class StopOnNaN(keras.callbacks.Callback):
    """Stops training at the first non-finite loss, remembering where.

    Unlike `keras.callbacks.TerminateOnNaN`, it keeps a readable `message`
    (epoch, step, the value, what to try) for the caller to raise.

    Args:
        monitor: the log key to check.
        learning_rate: shown in the message (the usual culprit).
    """

    def __init__(self, monitor="loss", learning_rate=None):
        super().__init__()
        self.monitor = monitor
        self.learning_rate = learning_rate
        self.message = None
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if not logs or self.monitor not in logs or self.message is not None:
            return
        value = float(logs[self.monitor])
        if math.isfinite(value):
            return
        lr = "" if self.learning_rate is None else f" (learning_rate={self.learning_rate:g})"
        self.message = (
            f"Training diverged: {self.monitor} became {value} at epoch {self._epoch + 1}, "
            f"step {batch + 1}. Try a lower learning rate{lr}, e.g. 3-10x smaller; check the "
            "input audio for silence-only or clipped files. The last finished epoch is kept in "
            "checkpoints/: delete that folder to restart from scratch with new settings."
        )
        print("\n" + self.message, flush=True)
        self.model.stop_training = True


class SetLearningRate(keras.callbacks.Callback):
    """Sets the optimizer's learning rate when training begins.

    Restoring a checkpoint also brings back the optimizer's old learning
    rate: a run resumed with a new `learning_rate` (e.g. after a divergence)
    then uses the new one.
    """

    def __init__(self, learning_rate):
        super().__init__()
        self.learning_rate = learning_rate

    def on_train_begin(self, logs=None):
        self.model.optimizer.learning_rate = self.learning_rate


class EncoderCheckpoint(keras.callbacks.Callback):
    """Saves `encoder`'s weights after every epoch as `encoder_epoch_XXX.weights.h5`.

    Args:
        encoder: the layer/model whose weights to save.
        directory: where to write.
        keep: how many of the most recent files to keep (`None`: all).
    """

    def __init__(self, encoder, directory, keep=5):
        super().__init__()
        if keep is not None and keep < 1:
            raise ValueError(f"keep must be None or >= 1. Received: keep={keep}")
        self.encoder = encoder
        self.directory = directory
        self.keep = keep

    def on_epoch_end(self, epoch, logs=None):
        os.makedirs(self.directory, exist_ok=True)
        self.encoder.save_weights(os.path.join(self.directory, f"encoder_epoch_{epoch + 1:03d}.weights.h5"))
        if self.keep is None:
            return
        saved = sorted(f for f in os.listdir(self.directory) if f.startswith("encoder_epoch_"))
        for old in saved[: -self.keep]:
            os.remove(os.path.join(self.directory, old))


class ReportDecodeFailures(keras.callbacks.Callback):
    """At each epoch end, names the files newly skipped because they failed to decode.

    Args:
        failures: the training dataset's `decode_failures` (`data.DecodeFailures`).
        shown: how many new names one report lists.
    """

    def __init__(self, failures, shown=5):
        super().__init__()
        self.failures = failures
        self.shown = shown

    def on_epoch_end(self, epoch, logs=None):
        new = self.failures.unreported()
        if not new:
            return
        from keras_audio_ssl.data.checks import name_failures

        print(
            f"Epoch {epoch + 1}: skipped {len(new)} more audio file(s) that failed to decode "
            f"({len(self.failures)} so far): {name_failures(new, self.shown)}",
            file=sys.stderr,
            flush=True,
        )


class KNNMonitor(keras.callbacks.Callback):
    """Every `every` epochs, cosine-kNN accuracy of the encoder on a small labelled set, in the logs.

    Fonseca et al. (2021) validate their SimCLR-audio runs this way (kNN val
    accuracy, k = 200 in `evaluation.knn`); it works for every method, since
    each method's `call` maps waveforms to the encoder's embedding. The value
    goes into the epoch's logs as `knn_accuracy` (history.csv, TensorBoard),
    and is NaN on epochs it is not computed.

    Args:
        train: `(waveforms [N, samples], labels [N])` the neighbours come from.
        val: `(waveforms [M, samples], labels [M])` that are classified.
        k: neighbours (capped at N).
        every: compute every this many epochs (and on the last one).
        batch_size: clips per embedding batch.
    """

    def __init__(self, train, val, *, k=200, every=1, batch_size=64):
        super().__init__()
        (self.x_train, self.y_train), (self.x_val, self.y_val) = train, val
        for name, (x, y) in (("train", train), ("val", val)):
            if len(x) != len(y) or len(x) == 0:
                raise ValueError(f"`{name}` must be non-empty (waveforms, labels) of one length. "
                                 f"Received: {name} with {len(x)} waveforms, {len(y)} labels")
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"`every` must be a positive integer. Received: every={every!r}")
        self.k, self.every, self.batch_size = k, every, batch_size
        self.history = []  # (epoch, accuracy) pairs

    def _embed(self, waveforms):
        import numpy as np

        outputs = [np.asarray(self.model(waveforms[i : i + self.batch_size], training=False))
                   for i in range(0, len(waveforms), self.batch_size)]
        return np.concatenate(outputs)

    def on_epoch_end(self, epoch, logs=None):
        import numpy as np

        from keras_audio_ssl.evaluation.knn import knn_predict

        last = self.params.get("epochs") is not None and epoch + 1 == self.params["epochs"]
        value = float("nan")
        if (epoch + 1) % self.every == 0 or last:
            predicted = knn_predict(self._embed(self.x_train), self.y_train, self._embed(self.x_val), k=self.k)
            value = float(np.mean(predicted == np.asarray(self.y_val)))
            self.history.append((epoch, value))
        if logs is not None:
            logs["knn_accuracy"] = value
