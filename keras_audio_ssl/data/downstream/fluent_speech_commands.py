"""Fluent Speech Commands (Lugosch et al., 2019): intent classification, 31 intents.

Layout of the extracted `fluent_speech_commands_dataset/`:

    data/train_data.csv, data/valid_data.csv, data/test_data.csv
        (an index column), path, speakerId, transcription, action, object, location
    wavs/speakers/<speakerId>/<utterance>.wav   (the `path` column, relative to the root)

The intent is the (action, object, location) triple, e.g. `activate / lights / kitchen`;
the official splits have no speaker in common.
"""

import os

import pandas as pd

from keras_audio_ssl.data.downstream.dataset import DownstreamDataset
from keras_audio_ssl.data.downstream.dataset import require_path

_COLUMNS = ("path", "action", "object", "location")


def intent_label(action, object_, location):
    return f"{action} / {object_} / {location}"


def fluent_speech_commands(root):
    """Fluent Speech Commands with its official train/valid/test CSVs.

    Args:
        root: the extracted `fluent_speech_commands_dataset` folder.
    """
    rows = []
    for split in ("train", "valid", "test"):
        csv_path = require_path(os.path.join(root, "data", f"{split}_data.csv"), f"Fluent Speech Commands {split}_data.csv")
        table = pd.read_csv(csv_path, keep_default_na=False)  # "none" is a value, never NaN
        missing = [c for c in _COLUMNS if c not in table.columns]
        if missing:
            raise ValueError(f"{csv_path} lacks columns {missing}. Received: columns={list(table.columns)}")
        for record in table.itertuples(index=False):
            rows.append({"path": os.path.join(root, *str(record.path).replace("\\", "/").split("/")),
                         "label": intent_label(record.action, record.object, record.location),
                         "split": split, "fold": None})
    frame = pd.DataFrame(rows)
    return DownstreamDataset("fluent_speech_commands", frame, sorted(frame["label"].unique().tolist()))
