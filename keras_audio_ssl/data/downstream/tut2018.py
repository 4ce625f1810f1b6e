"""TUT Urban Acoustic Scenes 2018 (DCASE 2018 task 1A; Mesaros et al., 2018), 10 scenes.

Layout of the extracted development set (`TUT-urban-acoustic-scenes-2018-development/`):

    meta.csv                              filename<TAB>scene_label<TAB>identifier<TAB>source_label
    evaluation_setup/fold1_train.txt      filename<TAB>scene_label
    evaluation_setup/fold1_evaluate.txt   filename<TAB>scene_label
    audio/<scene>-<city>-<location>-<segment>-a.wav

Filenames are relative to the root (`audio/airport-barcelona-0-0-a.wav`). The official
setup splits by recording location, so no location is in both folds.
"""

import os

import pandas as pd

from keras_audio_ssl.data.downstream.dataset import DownstreamDataset
from keras_audio_ssl.data.downstream.dataset import require_path


def _setup_file(root, stem):
    for ext in (".txt", ".csv"):
        path = os.path.join(root, "evaluation_setup", stem + ext)
        if os.path.isfile(path):
            return path
    raise ValueError(f"TUT 2018 setup file not found: {os.path.join(root, 'evaluation_setup', stem + '.txt')}. "
                     f"Received: root={root}")


def _filenames(path):
    names = []
    with open(path) as f:
        for line in f:
            fields = line.strip().split("\t")
            if fields[0] and fields[0] != "filename":  # some releases carry a header line
                names.append(fields[0].replace("\\", "/"))
    return names


def tut2018(root, *, fold=1):
    """TUT Urban Acoustic Scenes 2018 development set with its official setup.

    `fold<k>_train` -> train, `fold<k>_evaluate` -> test (the evaluation set's labels
    were released only for the challenge); labels come from `meta.csv`.

    Args:
        root: the extracted `TUT-urban-acoustic-scenes-2018-development` folder.
        fold: the setup's fold (the 2018 release has fold 1 only).
    """
    meta_path = require_path(os.path.join(root, "meta.csv"), "TUT 2018 meta.csv")
    meta = pd.read_csv(meta_path, sep="\t")
    if {"filename", "scene_label"} - set(meta.columns):
        raise ValueError(f"{meta_path} needs tab-separated columns filename,scene_label. Received: {list(meta.columns)}")
    require_path(os.path.join(root, "audio"), "TUT 2018 audio folder")
    labels = dict(zip(meta["filename"].astype(str).str.replace("\\", "/"), meta["scene_label"].astype(str)))
    rows = []
    for split, stem in (("train", f"fold{fold}_train"), ("test", f"fold{fold}_evaluate")):
        setup = _setup_file(root, stem)
        for name in _filenames(setup):
            if name not in labels:
                raise ValueError(f"{setup} lists {name}, which meta.csv does not. Received: {name}")
            rows.append({"path": os.path.join(root, *name.split("/")), "label": labels[name], "split": split,
                         "fold": None})
    if not rows:
        raise ValueError(f"The TUT 2018 fold {fold} setup files under {root} list no file. Received: root={root}")
    frame = pd.DataFrame(rows)
    return DownstreamDataset("tut18", frame, sorted(frame["label"].unique().tolist()))
