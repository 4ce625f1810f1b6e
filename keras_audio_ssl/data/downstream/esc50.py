"""ESC-50 (Piczak, 2015): `meta/esc50.csv` and `audio/*.wav`, 5 folds."""

import os

import pandas as pd

from keras_audio_ssl.data.downstream.dataset import DownstreamDataset
from keras_audio_ssl.data.downstream.dataset import require_path


def esc50(root, *, esc10=False):
    """ESC-50 (or its ESC-10 subset), 5 predefined folds, evaluated leave-one-fold-out.

    Args:
        root: the extracted `ESC-50-master` folder.
        esc10: keep only the 10 ESC-10 classes.
    """
    meta = pd.read_csv(require_path(os.path.join(root, "meta", "esc50.csv"), "ESC-50 metadata"))
    needed = {"filename", "fold", "category"}
    if needed - set(meta.columns):
        raise ValueError(f"esc50.csv lacks columns {sorted(needed - set(meta.columns))}. Received: {list(meta.columns)}")
    if esc10:
        meta = meta[meta["esc10"].astype(str).str.lower() == "true"]
    frame = pd.DataFrame({
        "path": [os.path.join(root, "audio", n) for n in meta["filename"]],
        "label": meta["category"].astype(str).tolist(),
        "split": None,
        "fold": meta["fold"].astype(int).tolist(),
    })
    return DownstreamDataset("esc10" if esc10 else "esc50", frame, sorted(frame["label"].unique().tolist()),
                             evaluation="folds", unit_seconds=5.0)
