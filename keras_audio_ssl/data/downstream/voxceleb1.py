"""VoxCeleb1 speaker identification (Nagrani et al., 2017): `iden_split.txt` + `wav/`."""

import os

import pandas as pd

from keras_audio_ssl.data.downstream.dataset import DownstreamDataset
from keras_audio_ssl.data.downstream.dataset import require_path

_SPLITS = {"1": "train", "2": "valid", "3": "test"}


def voxceleb1(root, *, split_file="iden_split.txt"):
    """VoxCeleb1 identification: 1,251 speakers; `iden_split.txt` marks 1/2/3 = train/valid/test.

    Args:
        root: folder with `iden_split.txt` and `wav/idXXXXX/<video>/<n>.wav`.
        split_file: name or path of the split file.
    """
    split_path = split_file if os.path.isabs(split_file) else os.path.join(root, split_file)
    rows = []
    with open(require_path(split_path, "VoxCeleb1 split file")) as f:
        for line_number, line in enumerate(f, 1):
            if not line.strip():
                continue
            parts = line.split()
            if len(parts) != 2 or parts[0] not in _SPLITS:
                raise ValueError(f"{split_path} line {line_number} is not '<1|2|3> <idXXXXX/video/n.wav>'. "
                                 f"Received: {line.strip()!r}")
            relative = parts[1].replace("\\", "/")
            rows.append({"path": os.path.join(root, "wav", *relative.split("/")),
                         "label": relative.split("/")[0], "split": _SPLITS[parts[0]], "fold": None})
    frame = pd.DataFrame(rows)
    return DownstreamDataset("voxceleb1", frame, sorted(frame["label"].unique().tolist()), unit_seconds=8.2)
