"""AudioSet (Gemmeke et al., 2017) tagging, 527 classes, from the official segment CSVs.

Layout (the one PANNs' `audioset_tagging_cnn` download scripts write):

    <root>/metadata/class_labels_indices.csv       index,mid,display_name
    <root>/metadata/balanced_train_segments.csv    # YTID, start_seconds, end_seconds, positive_labels
    <root>/metadata/eval_segments.csv
    <root>/metadata/unbalanced_train_segments.csv  (only for train="full")
    <root>/audios/balanced_train_segments/Y<YTID>.wav
    <root>/audios/eval_segments/Y<YTID>.wav
    <root>/audios/unbalanced_train_segments/Y<YTID>.wav

The CSVs may also sit directly in `<root>`; a clip may be named `<YTID>.wav` or
`.flac` as well. Each clip holds the 10 s segment only (already cut at
`start_seconds`). Videos taken down since 2017 leave gaps in every download, so
segments without a clip are left out with a warning (a split with none at all is an
error).
"""

import csv
import os
import warnings

import pandas as pd

from keras_audio_ssl.data.downstream.dataset import DownstreamDataset
from keras_audio_ssl.data.downstream.dataset import require_path

_TRAIN_SETS = {"balanced": ("balanced_train_segments",),
               "full": ("balanced_train_segments", "unbalanced_train_segments")}
_EXTENSIONS = (".wav", ".flac")


def _metadata(root, name):
    for folder in (os.path.join(root, "metadata"), root):
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            return path
    raise ValueError(f"AudioSet {name} not found in {os.path.join(root, 'metadata')} or {root}. Received: root={root}")


def read_segments_csv(path):
    """`(ytid, start, end, mids)` rows of an official segments CSV (`#` header lines skipped)."""
    rows = []
    with open(path, newline="") as f:
        for number, fields in enumerate(csv.reader(f, skipinitialspace=True), 1):
            if not fields or fields[0].startswith("#"):
                continue
            if len(fields) != 4:
                raise ValueError(f"{path} line {number}: expected 'YTID, start_seconds, end_seconds, \"labels\"'. "
                                 f"Received: {fields}")
            try:
                start, end = float(fields[1]), float(fields[2])
            except ValueError:
                raise ValueError(f"{path} line {number}: start/end are not numbers. Received: {fields}") from None
            rows.append((fields[0].strip(), start, end, tuple(m.strip() for m in fields[3].split(",") if m.strip())))
    return rows


def _clip_index(folder):
    """Clip stem -> path in one audio folder (listed once: AudioSet folders hold 20k-2M files)."""
    index = {}
    for name in os.listdir(folder):
        stem, ext = os.path.splitext(name)
        if ext.lower() in _EXTENSIONS:
            index.setdefault(stem, os.path.join(folder, name))
    return index


def audioset(root, *, train="balanced"):
    """AudioSet tagging: the train segments -> train, `eval_segments` -> test (no valid split).

    Args:
        root: the folder holding `metadata/` and `audios/` (see the module docstring).
        train: `"balanced"` (the 22k balanced segments, the default) or `"full"`
            (balanced + the ~2M unbalanced ones; HARES trains on ~1.9M segments).

    Returns:
        multi-label DownstreamDataset named "audioset"; labels are the display
        names of `class_labels_indices.csv`, classes all 527 of them.
    """
    if train not in _TRAIN_SETS:
        raise ValueError(f"`train` must be one of {sorted(_TRAIN_SETS)}. Received: train={train!r}")
    require_path(root, "AudioSet root")
    vocabulary = pd.read_csv(_metadata(root, "class_labels_indices.csv"))
    if {"mid", "display_name"} - set(vocabulary.columns):
        raise ValueError(f"class_labels_indices.csv needs columns mid,display_name. Received: {list(vocabulary.columns)}")
    names = dict(zip(vocabulary["mid"].astype(str), vocabulary["display_name"].astype(str)))
    # Every file named before any is read: a missing one fails at once, not after 2M clips.
    sets = [(split, set_name, _metadata(root, f"{set_name}.csv"),
             require_path(os.path.join(root, "audios", set_name), f"AudioSet audio folder for {set_name}"))
            for split, set_names in (("train", _TRAIN_SETS[train]), ("test", ("eval_segments",)))
            for set_name in set_names]
    rows = []
    for split, set_name, csv_path, folder in sets:
        clips = _clip_index(folder)
        segments = read_segments_csv(csv_path)
        found = 0
        for ytid, start, end, mids in segments:
            unknown = [m for m in mids if m not in names]
            if unknown:
                raise ValueError(f"{csv_path}: segment {ytid} uses labels not in class_labels_indices.csv. "
                                 f"Received: {unknown}")
            path = clips.get(f"Y{ytid}") or clips.get(ytid)
            if path is None:
                continue
            found += 1
            rows.append({"path": path, "label": tuple(sorted(names[m] for m in mids)), "split": split,
                         "fold": None})
        if found == 0:
            raise ValueError(f"None of the {len(segments)} segments of {csv_path} has a clip in {folder} "
                             f"(expected Y<YTID>.wav or <YTID>.wav).")
        if found < len(segments):
            warnings.warn(f"AudioSet: {len(segments) - found} of {len(segments)} segments of {set_name} have no "
                          f"clip in {folder} (taken-down videos?); they are left out.", stacklevel=2)
    return DownstreamDataset("audioset", pd.DataFrame(rows), sorted(set(names.values())), multi_label=True)
