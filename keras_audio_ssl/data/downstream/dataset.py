"""The common structure every downstream dataset layout returns."""

import dataclasses
import os

import numpy as np
import pandas as pd

SPLITS = ("train", "valid", "test")
_SPLIT_ALIASES = {
    "train": "train", "training": "train", "tr": "train",
    "valid": "valid", "validation": "valid", "val": "valid", "dev": "valid",
    "test": "test", "testing": "test", "eval": "test", "evaluation": "test",
}


def canonical_split(value, where=""):
    """Maps split names (`training`, `validation`, `val`, `eval`, ...) to train/valid/test."""
    key = str(value).strip().lower()
    if key not in _SPLIT_ALIASES:
        raise ValueError(f"Unknown split name{where}; expected one of train/valid/test. Received: split={value!r}")
    return _SPLIT_ALIASES[key]


def require_path(path, what):
    if not os.path.exists(path):
        raise ValueError(f"{what} not found: {path}. Received: path={path}")
    return path


@dataclasses.dataclass
class DownstreamDataset:
    """A labelled audio dataset with its official splits.

    Attributes:
        name: task name (e.g. "us8k").
        frame: DataFrame with columns `path` (absolute), `label` (str; for a
            multi-label set a tuple of str), `split` ("train"/"valid"/"test" or None
            for fold-only sets), `fold` (int or None), and optionally `start`/`end`
            (seconds) when a row is a slice of a longer file.
        classes: sorted list of class names (the order of `targets()`).
        multi_label: True when rows carry several labels (FSD50K).
        evaluation: "split" (train/valid/test) or "folds" (leave-one-fold-out).
        unit_seconds: the segment length BYOL-A's evaluation crops or pads every
            clip to, where the paper states the dataset's average duration
            (NSynth and UrbanSound8K 4.0 s, VoxCeleb1 8.2 s, Speech Commands 1.0 s);
            `None`: the mean duration of the clips, measured when evaluating.
    """

    name: str
    frame: pd.DataFrame
    classes: list
    multi_label: bool = False
    evaluation: str = "split"
    unit_seconds: float = None

    def __post_init__(self):
        if self.evaluation not in ("split", "folds"):
            raise ValueError(f"`evaluation` must be 'split' or 'folds'. Received: evaluation={self.evaluation!r}")
        missing = {"path", "label"} - set(self.frame.columns)
        if missing:
            raise ValueError(f"Dataset {self.name!r} frame lacks columns {sorted(missing)}. Received: {list(self.frame.columns)}")
        if len(self.frame) == 0:
            raise ValueError(f"Dataset {self.name!r} has no examples. Received: empty frame")
        for column in ("split", "fold"):
            if column not in self.frame.columns:
                self.frame[column] = None

    def __len__(self):
        return len(self.frame)

    def split(self, name):
        """Rows of one split (`train`, `valid` or `test`)."""
        return self.frame[self.frame["split"] == canonical_split(name)]

    def targets(self, rows=None):
        """Class indices `[N]`, or a multi-hot matrix `[N, C]` for a multi-label set."""
        rows = self.frame if rows is None else rows
        index = {c: i for i, c in enumerate(self.classes)}
        if self.multi_label:
            matrix = np.zeros((len(rows), len(self.classes)), dtype=np.float32)
            for r, labels in enumerate(rows["label"]):
                matrix[r, [index[label] for label in labels]] = 1.0
            return matrix
        return np.array([index[label] for label in rows["label"]], dtype=np.int64)

    def clips(self, rows=None, sample_rate=16000):
        """What `embed_clips` takes: paths, or loaded waveforms for sliced rows."""
        rows = self.frame if rows is None else rows
        if "start" not in rows.columns or rows["start"].isna().all():
            return rows["path"].tolist()
        from keras_audio_ssl.audio.clips import load_clips

        clips = []
        cache = {}
        for path, start, end in zip(rows["path"], rows["start"], rows["end"]):
            if pd.isna(start):
                clips.append(path)
                continue
            if path not in cache:
                cache = {path: load_clips([path], sample_rate)[0]}  # slices come file by file
            wave = cache[path]
            clips.append(wave[int(round(start * sample_rate)) : int(round(end * sample_rate))])
        return clips
