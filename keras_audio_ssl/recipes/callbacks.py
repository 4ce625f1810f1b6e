"""Callbacks shared by the pretraining recipes.

- `StopOnNaN`: stops at the first non-finite loss and keeps a message naming the
  epoch and step (the recipe raises `TrainingDivergedError` with it).
- `EncoderCheckpoint`: the online encoder's weights after every epoch, keeping the
  last few (the whole BYOL model with its Adam state is ~12x larger).
- `ReportDecodeFailures`: names the files skipped for failing to decode, per epoch.
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
        names = "; ".join(f"{path!r} ({reason})" for path, reason in new[: self.shown])
        more = f"; ... and {len(new) - self.shown} more" if len(new) > self.shown else ""
        print(
            f"Epoch {epoch + 1}: skipped {len(new)} more audio file(s) that failed to decode "
            f"({len(self.failures)} so far): {names}{more}",
            file=sys.stderr,
            flush=True,
        )
