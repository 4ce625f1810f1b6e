"""Strongly labelled sound event detection data: clips with (onset, offset, class) events.

Two layouts:
- `events_csv`: one CSV, a row per event `path,split,onset,offset,label` (a clip
  without any event has one row with empty onset/offset/label). Relative paths are
  resolved against the CSV's folder. The offline benchmark's `sed.csv` is one.
- `dcase2016_task2`: DCASE 2016 task 2 ("sound event detection in synthetic audio"):
  the development mixtures train the probe, the test mixtures score it. Each set is a
  folder with `sound/<mixture>.wav` and `annotation/<mixture>.txt` (tab-separated
  `onset offset label` lines), as in `dcase2016_task2_train_dev/dcase2016_task2_dev/`
  and `dcase2016_task2_test_public/`.
"""

import dataclasses
import glob
import os

import numpy as np
import pandas as pd

from keras_audio_ssl.data.downstream.dataset import canonical_split

EVENT_COLUMNS = ("path", "split", "onset", "offset", "label")


@dataclasses.dataclass
class SoundEventDataset:
    """Clips and their strong labels.

    Attributes:
        name: task name.
        clips: DataFrame `path` (absolute), `split` ("train"/"valid"/"test"), one row per clip.
        events: DataFrame `path`, `onset`, `offset` (seconds), `label`, one row per event.
        classes: sorted class names.
    """

    name: str
    clips: pd.DataFrame
    events: pd.DataFrame
    classes: list

    def __post_init__(self):
        if len(self.clips) == 0:
            raise ValueError(f"Sound event dataset {self.name!r} has no clips. Received: empty clip list")
        for split in ("train", "test"):
            if not (self.clips["split"] == split).any():
                raise ValueError(
                    f"Sound event dataset {self.name!r} needs {split} clips. "
                    f"Received: splits={self.clips['split'].value_counts().to_dict()}"
                )
        if not self.classes:
            raise ValueError(f"Sound event dataset {self.name!r} has no events. Received: no labelled rows")

    def split(self, name):
        """Paths of one split's clips."""
        return self.clips[self.clips["split"] == canonical_split(name)]["path"].tolist()

    def events_of(self, path):
        """`(onset, offset, label)` of one clip, by onset."""
        rows = self.events[self.events["path"] == path].sort_values("onset")
        return list(zip(rows["onset"].astype(float), rows["offset"].astype(float), rows["label"].astype(str)))


def _check_events(events, where):
    bad = events[~np.isfinite(events["onset"]) | ~np.isfinite(events["offset"]) | (events["offset"] <= events["onset"])]
    if len(bad):
        row = bad.iloc[0]
        raise ValueError(
            f"{len(bad)} event(s) in {where} need a finite onset before their offset "
            f"(first: {row['path']} onset={row['onset']} offset={row['offset']} label={row['label']!r})"
        )


def _missing_files(paths, where):
    missing = [p for p in sorted(set(paths)) if not os.path.exists(p)]
    if missing:
        raise ValueError(f"{len(missing)} clip(s) listed in {where} do not exist (first: {missing[0]})")


def events_csv(csv_path, *, name=None, check_files=True):
    """Reads an events CSV (`path,split,onset,offset,label`; see the module docstring)."""
    if not os.path.isfile(csv_path):
        raise ValueError(f"Events CSV not found: {csv_path}. Received: csv_path={csv_path}")
    table = pd.read_csv(csv_path)
    missing = [c for c in EVENT_COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"Events CSV {csv_path} lacks columns {missing}. Received: columns={list(table.columns)}")
    base = os.path.dirname(os.path.abspath(csv_path))
    table["path"] = [p if os.path.isabs(p) else os.path.normpath(os.path.join(base, p)) for p in table["path"].astype(str)]
    table["split"] = [canonical_split(s, f" in {csv_path}") for s in table["split"]]
    if check_files:
        _missing_files(table["path"], csv_path)
    clips = table.drop_duplicates("path")[["path", "split"]].reset_index(drop=True)
    conflicting = table.groupby("path")["split"].nunique()
    if (conflicting > 1).any():
        raise ValueError(f"Clip {conflicting[conflicting > 1].index[0]} is in two splits in {csv_path}")
    labelled = table[table["label"].notna() & (table["label"].astype(str).str.strip() != "")].copy()
    labelled["onset"] = pd.to_numeric(labelled["onset"], errors="coerce")
    labelled["offset"] = pd.to_numeric(labelled["offset"], errors="coerce")
    labelled["label"] = labelled["label"].astype(str).str.strip()
    _check_events(labelled, csv_path)
    name = name or os.path.splitext(os.path.basename(csv_path))[0]
    return SoundEventDataset(name, clips, labelled[["path", "onset", "offset", "label"]].reset_index(drop=True),
                             sorted(labelled["label"].unique().tolist()))


def _dcase_set(folder, split):
    clips, events = [], []
    for wav in sorted(glob.glob(os.path.join(folder, "sound", "*.wav"))):
        stem = os.path.splitext(os.path.basename(wav))[0]
        annotation = os.path.join(folder, "annotation", f"{stem}.txt")
        if not os.path.isfile(annotation):
            raise ValueError(f"DCASE 2016 mixture {wav} has no annotation file {annotation}")
        clips.append({"path": os.path.abspath(wav), "split": split})
        with open(annotation) as f:
            for number, line in enumerate(f, 1):
                fields = line.split()
                if not fields:
                    continue
                if len(fields) < 3:
                    raise ValueError(f"{annotation} line {number}: expected 'onset offset label'. Received: {line.strip()!r}")
                try:
                    onset, offset = float(fields[0]), float(fields[1])
                except ValueError:
                    raise ValueError(f"{annotation} line {number}: onset/offset are not numbers. "
                                     f"Received: {line.strip()!r}") from None
                events.append({"path": os.path.abspath(wav), "onset": onset, "offset": offset,
                               "label": " ".join(fields[2:])})
    return clips, events


def dcase2016_task2(root):
    """DCASE 2016 task 2: development mixtures -> train, test mixtures -> test.

    Args:
        root: a folder holding (at any depth) a `*dev*` and a `*test*` folder, each
            with `sound/` and `annotation/` (see the module docstring).
    """
    sets = {"train": [], "test": []}
    for sound in sorted(glob.glob(os.path.join(root, "**", "sound"), recursive=True)):
        folder = os.path.dirname(sound)
        base = os.path.basename(folder).lower()
        if not os.path.isdir(os.path.join(folder, "annotation")):
            continue
        if "test" in base or "eval" in base:
            sets["test"].append(folder)
        elif "dev" in base:
            sets["train"].append(folder)
    for split, what in (("train", "development (`*dev*`)"), ("test", "test (`*test*`)")):
        if not sets[split]:
            raise ValueError(
                f"No DCASE 2016 task 2 {what} folder with sound/ and annotation/ under {root}. "
                f"Received: root={root}"
            )
    clips, events = [], []
    for split, folders in sets.items():
        for folder in folders:
            c, e = _dcase_set(folder, split)
            clips += c
            events += e
    events = pd.DataFrame(events, columns=["path", "onset", "offset", "label"])
    _check_events(events, root)
    return SoundEventDataset("dcase2016_task2", pd.DataFrame(clips), events, sorted(events["label"].unique().tolist()))


def looks_like_dcase2016(folder):
    """True when `folder` holds `sound/` + `annotation/` subfolders somewhere below it."""
    return any(os.path.isdir(os.path.join(os.path.dirname(s), "annotation"))
               for s in glob.glob(os.path.join(folder, "**", "sound"), recursive=True))


def is_events_csv(csv_path):
    try:
        columns = pd.read_csv(csv_path, nrows=0).columns
    except Exception:  # Not a CSV table.
        return False
    return all(c in columns for c in EVENT_COLUMNS)
