"""Bird audio detection (DCASE 2018 task 3; Stowell et al., 2019): does a 10 s clip hold a bird?

Layout: the development sets' label CSVs (`itemid,datasetid,hasbird`, e.g.
`ff1010bird_metadata_2018.csv`, `warblrb10k_public_metadata_2018.csv`,
`BirdVoxDCASE20k_csvpublic.csv`) at the root, and each set's `wav` archive extracted
into a folder named by its `datasetid`:

    <root>/*.csv
    <root>/ff1010bird/wav/<itemid>.wav
    <root>/warblrb10k/wav/<itemid>.wav
    <root>/BirdVox-DCASE-20k/wav/<itemid>.wav

(`<root>/<datasetid>/<itemid>.wav` works too). Together the three sets hold the ~36k
labelled clips HARES's "Birdsong" task counts.

The challenge's evaluation labels are not public, so HARES uses a split of the
development data by Tagliasacchi et al. (2020) that is not distributed. Here each
clip goes to test / valid / train (10 / 10 / 80 %) by a hash of
`datasetid/itemid`: fixed across machines and row orders, stratified only by
chance. A `split` column in the CSVs, when present, is used instead.
"""

import glob
import hashlib
import os

import pandas as pd

from keras_audio_ssl.data.downstream.dataset import DownstreamDataset
from keras_audio_ssl.data.downstream.dataset import canonical_split
from keras_audio_ssl.data.downstream.dataset import require_path

COLUMNS = ("itemid", "datasetid", "hasbird")


def hashed_split(key, test_percent=10, valid_percent=10):
    """`"test"`, `"valid"` or `"train"` from the MD5 of `key` (stable everywhere)."""
    bucket = int(hashlib.md5(key.encode("utf-8")).hexdigest(), 16) % 100
    return "test" if bucket < test_percent else ("valid" if bucket < test_percent + valid_percent else "train")


def _clip_path(root, datasetid, itemid):
    for candidate in (os.path.join(root, datasetid, "wav", f"{itemid}.wav"), os.path.join(root, datasetid, f"{itemid}.wav")):
        if os.path.isfile(candidate):
            return candidate
    return None


def bird_audio_detection(root):
    """DCASE 2018 bird audio detection, 2 classes (`bird` / `no_bird`), hashed 80/10/10 split.

    Args:
        root: the folder holding the label CSVs and one audio folder per `datasetid`.
    """
    require_path(root, "Bird audio detection root")
    tables = []
    for csv_path in sorted(glob.glob(os.path.join(root, "*.csv"))):
        table = pd.read_csv(csv_path, dtype={"itemid": str})
        if set(COLUMNS) <= set(table.columns):
            tables.append((csv_path, table))
    if not tables:
        raise ValueError(f"No label CSV with columns {','.join(COLUMNS)} in {root} (e.g. ff1010bird_metadata_2018.csv). "
                         f"Received: root={root}")
    rows, missing = [], []
    for csv_path, table in tables:
        for number, record in enumerate(table.itertuples(index=False), 2):
            if str(record.hasbird) not in ("0", "1"):
                raise ValueError(f"{csv_path} line {number}: hasbird must be 0 or 1. Received: hasbird={record.hasbird!r}")
            path = _clip_path(root, str(record.datasetid), str(record.itemid))
            if path is None:
                missing.append(os.path.join(root, str(record.datasetid), "wav", f"{record.itemid}.wav"))
                continue
            split = (canonical_split(record.split, f" in {csv_path} line {number}") if "split" in table.columns
                     else hashed_split(f"{record.datasetid}/{record.itemid}"))
            rows.append({"path": path, "label": "bird" if str(record.hasbird) == "1" else "no_bird", "split": split,
                         "fold": None})
    if missing:
        raise ValueError(f"{len(missing)} clip(s) listed in the label CSVs of {root} do not exist (first: {missing[0]})")
    frame = pd.DataFrame(rows)
    return DownstreamDataset("birdsong", frame, sorted(frame["label"].unique().tolist()))
