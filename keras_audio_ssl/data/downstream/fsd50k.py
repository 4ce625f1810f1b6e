"""FSD50K (Fonseca et al., 2022), multi-label: `FSD50K.ground_truth/{dev,eval}.csv`."""

import os

import pandas as pd

from keras_audio_ssl.data.downstream.dataset import DownstreamDataset
from keras_audio_ssl.data.downstream.dataset import require_path


def fsd50k(root):
    """FSD50K: dev.csv's `split` column (train/val) gives train/valid, eval.csv is test.

    Labels are comma-separated in the `labels` column; the 200 classes come from
    `vocabulary.csv` (index, label, mid; no header). Audio lives in
    `FSD50K.dev_audio/<fname>.wav` and `FSD50K.eval_audio/<fname>.wav`.

    Args:
        root: folder holding `FSD50K.ground_truth`, `FSD50K.dev_audio`, `FSD50K.eval_audio`.
    """
    truth = os.path.join(root, "FSD50K.ground_truth")
    vocabulary = pd.read_csv(require_path(os.path.join(truth, "vocabulary.csv"), "FSD50K vocabulary.csv"),
                             header=None, names=["index", "label", "mid"])
    classes = sorted(vocabulary["label"].astype(str).tolist())
    known = set(classes)
    rows = []
    for csv_name, audio_folder in (("dev.csv", "FSD50K.dev_audio"), ("eval.csv", "FSD50K.eval_audio")):
        table = pd.read_csv(require_path(os.path.join(truth, csv_name), f"FSD50K {csv_name}"))
        for i, record in enumerate(table.itertuples(index=False)):
            labels = tuple(sorted(str(record.labels).split(",")))
            unknown = set(labels) - known
            if unknown:
                raise ValueError(f"{csv_name} line {i + 2} uses labels not in vocabulary.csv. Received: {sorted(unknown)}")
            if csv_name == "dev.csv":
                split = {"train": "train", "val": "valid"}.get(str(record.split))
                if split is None:
                    raise ValueError(f"dev.csv line {i + 2}: split must be train or val. Received: split={record.split!r}")
            else:
                split = "test"
            rows.append({"path": os.path.join(root, audio_folder, f"{record.fname}.wav"), "label": labels,
                         "split": split, "fold": None})
    return DownstreamDataset("fsd50k", pd.DataFrame(rows), classes, multi_label=True)
