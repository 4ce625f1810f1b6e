"""MagnaTagATune (Law et al., 2009) music tagging: the 50 most frequent tags, multi-label.

Layout:

    <root>/annotations_final.csv    tab-separated: clip_id, 188 tag columns (0/1), mp3_path
    <root>/<mp3_path>               e.g. f/american_bach_soloists-...-30-59.mp3
                                    (or <root>/mp3/<mp3_path>)

`mp3_path` starts with one of the 16 folders `0`-`9`, `a`-`f` that
`cat mp3.zip.* > mp3_all.zip && unzip mp3_all.zip` creates.

Tags: the 50 with the most clips over the whole file (ties by name), the usual
"top-50" set. Split (Dieleman & Schrauwen, 2014, the common one): folders `0`-`b`
train, `c` valid, `d`-`f` test. Clips with none of the 50 tags are kept (all
negatives), as HARES's 26k-clip count implies; the release's few empty (0-byte) mp3
files are left out with a warning.
"""

import os
import warnings

import pandas as pd

from keras_audio_ssl.data.downstream.dataset import DownstreamDataset
from keras_audio_ssl.data.downstream.dataset import require_path

N_TOP_TAGS = 50


def folder_split(mp3_path):
    """`train` for folders 0-b, `valid` for c, `test` for d-f."""
    folder = str(mp3_path).replace("\\", "/").split("/")[0].lower()
    if len(folder) != 1 or folder not in "0123456789abcdef":
        raise ValueError(f"mp3_path must start with a folder 0-9 or a-f. Received: mp3_path={mp3_path!r}")
    return "valid" if folder == "c" else ("test" if folder in "def" else "train")


def magnatagatune(root, *, n_tags=N_TOP_TAGS):
    """MagnaTagATune, top-`n_tags` tags, split by folder (0-b / c / d-f).

    Args:
        root: the folder holding `annotations_final.csv` and the mp3 folders.
        n_tags: how many of the most frequent tags to keep (50).
    """
    csv_path = require_path(os.path.join(root, "annotations_final.csv"), "MagnaTagATune annotations_final.csv")
    table = pd.read_csv(csv_path, sep="\t")
    if {"clip_id", "mp3_path"} - set(table.columns):
        raise ValueError(f"{csv_path} must be tab-separated with clip_id ... mp3_path columns. "
                         f"Received: columns={list(table.columns)[:5]}")
    tag_columns = [c for c in table.columns if c not in ("clip_id", "mp3_path")]
    counts = table[tag_columns].sum(axis=0)
    top = sorted(tag_columns, key=lambda tag: (-counts[tag], tag))[:n_tags]
    audio = os.path.join(root, "mp3") if os.path.isdir(os.path.join(root, "mp3")) else root
    tags = table[top].to_numpy() > 0
    rows, missing, empty = [], [], []
    for record, has in zip(table.itertuples(index=False), tags):
        path = os.path.join(audio, *str(record.mp3_path).replace("\\", "/").split("/"))
        if not os.path.isfile(path):
            missing.append(path)
            continue
        if os.path.getsize(path) == 0:
            empty.append(path)
            continue
        rows.append({"path": path, "label": tuple(sorted(t for t, h in zip(top, has) if h)),
                     "split": folder_split(record.mp3_path), "fold": None})
    if missing:
        raise ValueError(f"{len(missing)} clip(s) listed in {csv_path} do not exist (first: {missing[0]})")
    if empty:
        warnings.warn(f"MagnaTagATune: {len(empty)} empty mp3 file(s) left out (first: {empty[0]}).", stacklevel=2)
    return DownstreamDataset("magnatagatune", pd.DataFrame(rows), sorted(top), multi_label=True)
