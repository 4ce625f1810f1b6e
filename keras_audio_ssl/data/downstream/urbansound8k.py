"""UrbanSound8K (Salamon et al., 2014): `metadata/UrbanSound8K.csv` and `audio/fold<k>/`."""

import os

import pandas as pd

from keras_audio_ssl.data.downstream.dataset import DownstreamDataset
from keras_audio_ssl.data.downstream.dataset import require_path


def urbansound8k(root):
    """UrbanSound8K, 10 predefined folds (evaluate leave-one-fold-out; never reshuffle them).

    Args:
        root: the extracted `UrbanSound8K` folder.
    """
    meta = pd.read_csv(require_path(os.path.join(root, "metadata", "UrbanSound8K.csv"), "UrbanSound8K metadata"))
    needed = {"slice_file_name", "fold", "class"}
    if needed - set(meta.columns):
        raise ValueError(f"UrbanSound8K.csv lacks columns {sorted(needed - set(meta.columns))}. Received: {list(meta.columns)}")
    frame = pd.DataFrame({
        "path": [os.path.join(root, "audio", f"fold{int(k)}", n) for k, n in zip(meta["fold"], meta["slice_file_name"])],
        "label": meta["class"].astype(str),
        "split": None,
        "fold": meta["fold"].astype(int),
    })
    return DownstreamDataset("us8k", frame, sorted(frame["label"].unique().tolist()), evaluation="folds",
                             unit_seconds=4.0)
