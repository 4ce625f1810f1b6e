"""Callbacks shared by the pretraining recipes.

- `StopOnNaN`: stops at the first non-finite loss and keeps a message naming the
  epoch and step (the recipe raises `TrainingDivergedError` with it).
- `EncoderCheckpoint`: the online encoder's weights after every epoch, keeping the
  last few (the whole BYOL model with its Adam state is ~12x larger).
- `ReportDecodeFailures`: names the files skipped for failing to decode, per epoch.
- `TimeBudget`: starts no new epoch once the next one would overrun a wall-clock budget.
- `LearningSignal`: cosine-kNN and quick linear-probe accuracy on a small labelled set
  every N epochs, in the logs (history.csv, TensorBoard); `KNNMonitor`: the kNN part.
"""

import math
import os
import sys
import time

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
    """Sets the optimizer's learning rate at the start of every epoch.

    Restoring a checkpoint also brings back the optimizer's old learning
    rate: a run resumed with a new `learning_rate` (e.g. after a divergence)
    then uses the new one, and a resumed step schedule is where the epoch
    number puts it.

    Args:
        learning_rate: a number, or a function of the 0-based epoch returning one
            (`TrainingSettings.learning_rate_at`).
    """

    def __init__(self, learning_rate):
        super().__init__()
        self.learning_rate = learning_rate

    def on_epoch_begin(self, epoch, logs=None):
        rate = self.learning_rate(epoch) if callable(self.learning_rate) else self.learning_rate
        self.model.optimizer.learning_rate = rate


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
        from keras_audio_ssl.atomic_write import save_with

        path = os.path.join(self.directory, f"encoder_epoch_{epoch + 1:03d}.weights.h5")
        save_with(self.encoder.save_weights, path, model=self.encoder)
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


class TimeBudget(keras.callbacks.Callback):
    """Starts no new epoch once the next one would end after `minutes` of training.

    Args:
        minutes: the wall-clock budget of one `fit` call.
    """

    def __init__(self, minutes):
        super().__init__()
        self.minutes = minutes
        self.stopped_early = False

    def on_train_begin(self, logs=None):
        self.start = self.epoch_start = time.time()
        self.stopped_early = False

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_start = time.time()

    def on_epoch_end(self, epoch, logs=None):
        now = time.time()
        if now + (now - self.epoch_start) - self.start > self.minutes * 60:
            self.model.stop_training = True
            self.stopped_early = True


class LearningSignal(keras.callbacks.Callback):
    """Every `every` epochs, how good the representation is on a small labelled set.

    A loss that falls says little about the embedding: BYOL's loss can grow while
    downstream accuracy rises, and a collapsing run can look fine. This callback
    embeds a labelled set with the model being trained (every method's `call` maps
    waveforms to the encoder's clip embedding) and logs, into the epoch's logs
    (so `history.csv` of the run directory and its TensorBoard `logs/` hold them):

    - `knn_accuracy`: cosine kNN with majority vote (`evaluation.knn`, k = 200 as
      Fonseca et al. validate their SimCLR-audio runs), neighbours from `train`;
    - `probe_accuracy`: a quick linear probe (`evaluation.linear_probe`, one run,
      at most `probe_epochs` with early stopping, Adam at `probe_learning_rate`:
      10x the downstream protocol's, since a small set gives few steps per epoch)
      trained on `train`, scored on `val`.

    Both are NaN on epochs they are not computed. Each call also prints one line.

    Args:
        train: `(waveforms [N, samples], labels [N])` the neighbours and the probe's
            training examples.
        val: `(waveforms [M, samples], labels [M])` that are classified.
        k: neighbours (capped at N).
        every: compute every this many epochs (and on the last one).
        linear_probe: also fit the quick linear probe.
        probe_epochs: the probe's epoch cap.
        probe_learning_rate: the probe's Adam learning rate.
        batch_size: clips per embedding batch.
        seed: the probe's seed.
        verbose: print one line per computation.

    Example:
    >>> signal = LearningSignal.from_manifest("labels.csv", every=5)  # doctest: +SKIP
    >>> byola.fit("audio/", output_dir="runs/a", callbacks=[signal])  # doctest: +SKIP
    """

    def __init__(self, train, val, *, k=200, every=1, linear_probe=True, probe_epochs=100, probe_learning_rate=1e-2,
                 batch_size=64, seed=0, verbose=True):
        super().__init__()
        (self.x_train, self.y_train), (self.x_val, self.y_val) = train, val
        for name, (x, y) in (("train", train), ("val", val)):
            if len(x) != len(y) or len(x) == 0:
                raise ValueError(f"`{name}` must be non-empty (waveforms, labels) of one length. "
                                 f"Received: {name} with {len(x)} waveforms, {len(y)} labels")
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"`every` must be a positive integer. Received: every={every!r}")
        self.k, self.every, self.batch_size = k, every, batch_size
        self.linear_probe, self.probe_epochs, self.probe_learning_rate = linear_probe, probe_epochs, probe_learning_rate
        self.seed, self.verbose = seed, verbose
        self.history = []  # (epoch, {metric: value}) pairs

    @classmethod
    def from_manifest(cls, manifest, *, max_clips=2000, unit_seconds=None, seed=0, sample_rate=16000, **kwargs):
        """From a labelled CSV manifest (`path,label` and `split` or `fold`, as `evaluation`
        reads): `train` rows are the neighbours and probe data, `valid`/`test` rows (or
        the last fold) are scored. Clips are cut to one unit-length
        crop each as in the downstream protocol (`evaluation.unit_segments`); at most
        `max_clips`, drawn at random with `seed`."""
        import numpy as np

        from keras_audio_ssl.audio.clips import load_clips
        from keras_audio_ssl.data.downstream import csv_manifest
        from keras_audio_ssl.evaluation.unit_segments import resolve_unit_seconds
        from keras_audio_ssl.evaluation.unit_segments import unit_segments

        task = csv_manifest(manifest)
        if task.multi_label:
            raise ValueError(f"The learning signal needs single-label clips (kNN votes one class). Received: {manifest}")
        rng = np.random.default_rng(seed)
        frame = task.frame
        if len(frame) > max_clips:
            frame = frame.iloc[np.sort(rng.choice(len(frame), max_clips, replace=False))]
        if task.evaluation == "folds":
            scored = (frame["fold"] == frame["fold"].max()).to_numpy()
        else:
            scored = frame["split"].isin(["valid", "test"]).to_numpy()
        if scored.all() or not scored.any():
            raise ValueError(f"The learning signal needs training rows and valid/test rows. Received: {manifest} "
                             f"with {int(scored.sum())} of {len(frame)} rows to score")
        waveforms = load_clips(task.clips(frame, sample_rate), sample_rate)
        unit = resolve_unit_seconds(unit_seconds, task.unit_seconds, waveforms, sample_rate)
        segments = np.stack(unit_segments(waveforms, int(round(unit * sample_rate)), seed))
        labels = task.targets(frame)
        return cls((segments[~scored], labels[~scored]), (segments[scored], labels[scored]), seed=seed, **kwargs)

    def _embed(self, waveforms):
        import numpy as np

        outputs = [np.asarray(self.model(waveforms[i : i + self.batch_size], training=False))
                   for i in range(0, len(waveforms), self.batch_size)]
        return np.concatenate(outputs)

    def measure(self):
        """`{metric: value}` for the model as it is now."""
        import numpy as np

        from keras_audio_ssl.evaluation.knn import knn_predict
        from keras_audio_ssl.evaluation.linear_probe import linear_probe

        x_train, x_val = self._embed(self.x_train), self._embed(self.x_val)
        if not (np.all(np.isfinite(x_train)) and np.all(np.isfinite(x_val))):
            return {"knn_accuracy": float("nan"), "probe_accuracy": float("nan")}
        values = {"knn_accuracy": float(np.mean(knn_predict(x_train, self.y_train, x_val, k=self.k)
                                                == np.asarray(self.y_val)))}
        if self.linear_probe:
            probe = linear_probe(x_train, self.y_train, x_val, self.y_val, runs=1, seed=self.seed,
                                 epochs=self.probe_epochs, learning_rate=self.probe_learning_rate)
            values["probe_accuracy"] = float(probe["accuracy"])
        return values

    def on_epoch_end(self, epoch, logs=None):
        last = self.params.get("epochs") is not None and epoch + 1 == self.params["epochs"]
        names = ("knn_accuracy", "probe_accuracy") if self.linear_probe else ("knn_accuracy",)
        values = dict.fromkeys(names, float("nan"))
        if (epoch + 1) % self.every == 0 or last:
            values = self.measure()
            self.history.append((epoch, values))
            if self.verbose:
                shown = ", ".join(f"{name} {value:.4f}" for name, value in values.items())
                print(f"Epoch {epoch + 1}: learning signal on {len(self.x_val)} labelled clips: {shown}",
                      file=sys.stderr, flush=True)
        if logs is not None:
            logs.update(values)


class KNNMonitor(LearningSignal):
    """`LearningSignal` with the kNN accuracy only (`knn_accuracy` in the logs)."""

    def __init__(self, train, val, *, k=200, every=1, batch_size=64):
        super().__init__(train, val, k=k, every=every, linear_probe=False, batch_size=batch_size, verbose=False)
