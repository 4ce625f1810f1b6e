"""A run directory's training state, written so that a kill at any moment leaves it loadable.

After every finished epoch `EpochStateCheckpoint` writes, in this order:

1. `checkpoints/state/epoch_XXX.weights.h5`: the whole method (online and
   target networks, memory banks, seed states) and its optimizer, written
   under a temporary name, flushed, then renamed into place;
2. `checkpoints/state.json` (the previous one kept as `state.json.bkp`): the
   finished epoch count, the checkpoint files kept and the history of every
   finished epoch, each written to a temporary file and renamed;
3. `history.csv`, rendered from that state (temporary file + rename).

So the history holds exactly the checkpointed epochs; a kill between two of
the steps leaves the previous state valid (the extra file of step 1 is
unreferenced and overwritten by the rerun). Reading falls back from a
damaged `state.json` to `state.json.bkp`, and from a checkpoint that does not
load to the one before it, saying what it used. Unlike Keras's
`BackupAndRestore`, nothing is deleted when training ends: a finished run
called again returns its model, and one called with more epochs continues.
"""

import csv
import io
import json
import math
import os

import keras

from keras_audio_ssl import atomic_write

STATE_DIR = os.path.join("checkpoints", "state")
STATE_FILE = os.path.join("checkpoints", "state.json")
HISTORY_FILE = "history.csv"

# The one writing discipline (temporary sibling with a reserved prefix, fsync, rename): see atomic_write.
fsync_dir = atomic_write.fsync_dir
write_text_atomic = atomic_write.write_text


def read_json(path):
    """The JSON in `path`, or None when it is missing or unreadable (a file written
    through `write_json_atomic` is whole or absent, so None means "not there")."""
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def write_json_atomic(path, obj):
    atomic_write.write_json(path, obj)


def save_atomic(save_fn, path, model=None):
    """Calls `save_fn(tmp_path)` then renames the result to `path` (`model`: check the disk's room first)."""
    atomic_write.save_with(save_fn, path, model=model)


def remove_stale_temporaries(folder):
    """Deletes what a killed write left behind: only names with the project's reserved prefix."""
    atomic_write.remove_leftovers(folder)


class RunState:
    """What a run directory says about its finished epochs.

    Attributes:
        epochs_finished: int, epochs whose state is checkpointed.
        history: dict metric -> list of per-epoch values (length `epochs_finished`).
        checkpoint: path of the state file to restore, or None for a fresh run.
        notes: messages about fallbacks that were needed to read the state.
    """

    def __init__(self, output_dir, epochs_finished=0, history=None, checkpoints=None, notes=None):
        self.output_dir = output_dir
        self.epochs_finished = int(epochs_finished)
        self.history = history or {}
        self.checkpoints = checkpoints or []  # [(epoch, filename)], oldest first
        self.notes = notes or []

    @property
    def checkpoint(self):
        if not self.checkpoints:
            return None
        return os.path.join(self.output_dir, STATE_DIR, self.checkpoints[-1][1])

    @classmethod
    def read(cls, output_dir):
        """The latest readable state (a fresh one when the directory has none)."""
        path = os.path.join(output_dir, STATE_FILE)
        notes = []
        for candidate in (path, path + ".bkp"):
            if not os.path.exists(candidate):
                continue
            try:
                with open(candidate) as f:
                    data = json.load(f)
                state = cls(
                    output_dir,
                    data["epochs_finished"],
                    {k: list(v) for k, v in data["history"].items()},
                    [tuple(c) for c in data["checkpoints"]],
                    notes,
                )
            except (OSError, ValueError, KeyError, TypeError) as e:
                notes.append(f"{os.path.relpath(candidate, output_dir)} is damaged ({type(e).__name__}: {e})")
                continue
            if candidate != path:
                notes.append(f"using the previous state {os.path.relpath(candidate, output_dir)}")
            return state
        return cls(output_dir, notes=notes)

    def truncate(self, epochs):
        """Keeps the first `epochs` epochs (after falling back to an older checkpoint)."""
        self.epochs_finished = epochs
        self.history = {k: v[:epochs] for k, v in self.history.items()}
        self.checkpoints = [c for c in self.checkpoints if c[0] <= epochs]

    def restore_into(self, model):
        """Loads the newest checkpoint that loads into `model`; falls back to older ones.

        Returns the epoch restored (0 when none could be loaded: training starts over).
        """
        while self.checkpoints:
            epoch, name = self.checkpoints[-1]
            path = os.path.join(self.output_dir, STATE_DIR, name)
            try:
                model.load_weights(path)
                self.truncate(epoch)
                return epoch
            except Exception as e:  # a truncated or foreign h5 file raises many kinds
                self.notes.append(
                    f"checkpoint {os.path.relpath(path, self.output_dir)} does not load "
                    f"({type(e).__name__}: {str(e).splitlines()[0][:200]})"
                )
                self.checkpoints.pop()
        if self.epochs_finished:
            self.notes.append("no checkpoint could be loaded: training starts from scratch")
        self.truncate(0)
        return 0

    def write(self, keep):
        state_path = os.path.join(self.output_dir, STATE_FILE)
        if os.path.exists(state_path):
            with open(state_path) as f:
                previous = f.read()
            if previous.strip():
                write_text_atomic(state_path + ".bkp", previous)
        referenced = self.checkpoints[-keep:]
        write_json_atomic(
            state_path,
            {
                "epochs_finished": self.epochs_finished,
                "checkpoints": [list(c) for c in referenced],
                "history": self.history,
            },
        )
        # Files still named by the backup state stay until the next epoch.
        self.checkpoints = referenced
        self.write_history_csv()

    def write_history_csv(self):
        keys = sorted(self.history)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["epoch"] + keys)
        for epoch in range(self.epochs_finished):
            # A key logged only in some epochs (a callback added on resume) leaves the others empty.
            writer.writerow([epoch] + [_csv_value(_at(self.history[k], epoch)) for k in keys])
        write_text_atomic(os.path.join(self.output_dir, HISTORY_FILE), out.getvalue())


def _at(values, epoch):
    return values[epoch] if epoch < len(values) else None


def _csv_value(value):
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else repr(float(value))


class EpochStateCheckpoint(keras.callbacks.Callback):
    """Checkpoints the whole training state after every finished epoch (see the module docstring).

    Place it last among the callbacks, so the logs it records include what
    earlier callbacks added at the epoch end (kNN monitors, ...).

    Args:
        state: the run's `RunState` (updated in place).
        keep: state checkpoints kept on disk (>= 2, so a damaged newest file has a fallback).
        skip_epoch: callable `() -> bool`; True skips the epoch (e.g. it diverged).
    """

    def __init__(self, state, keep=2, skip_epoch=None):
        super().__init__()
        self.state = state
        self.keep = max(2, int(keep))
        self.skip_epoch = skip_epoch or (lambda: False)

    def on_epoch_end(self, epoch, logs=None):
        if self.skip_epoch():
            return
        folder = os.path.join(self.state.output_dir, STATE_DIR)
        os.makedirs(folder, exist_ok=True)
        name = f"epoch_{epoch + 1:04d}.weights.h5"
        save_atomic(self.model.save_weights, os.path.join(folder, name), model=self.model)
        for key, value in (logs or {}).items():
            values = self.state.history.setdefault(key, [None] * epoch)
            values.extend([None] * (epoch - len(values)))
            values.append(float(keras.ops.convert_to_numpy(value).reshape(-1)[0]))
        self.state.epochs_finished = epoch + 1
        self.state.checkpoints = [c for c in self.state.checkpoints if c[0] < epoch + 1] + [(epoch + 1, name)]
        kept_before = {c[1] for c in self.state.checkpoints[-(self.keep + 1):]}
        self.state.write(self.keep)
        for stale in os.listdir(folder):
            if stale.startswith("epoch_") and stale not in kept_before:
                os.remove(os.path.join(folder, stale))
