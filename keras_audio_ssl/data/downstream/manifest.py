"""Any CSV manifest as a downstream dataset (also VoxForge's prepared manifest)."""

import os

import numpy as np
import pandas as pd

from keras_audio_ssl.data.downstream.dataset import DownstreamDataset
from keras_audio_ssl.data.downstream.dataset import canonical_split


def _split_labels(value):
    text = str(value)
    for separator in (";", "|", ","):
        if separator in text:
            return tuple(sorted(part.strip() for part in text.split(separator) if part.strip()))
    return (text.strip(),)


def read_manifest_table(csv_path):
    """The manifest's table with only empty cells missing: the labels "None", "NA", "null" are labels.

    (pandas reads a dozen words as NaN by default, so a class named "None" became "an empty label".)
    """
    try:
        return pd.read_csv(csv_path, keep_default_na=False, na_values=[""])
    except UnicodeDecodeError as e:
        raise ValueError(f"Manifest {csv_path} is not UTF-8 text ({e.reason} at byte {e.start}); save it as "
                         f"UTF-8. Received: csv_path={csv_path}") from None
    except pd.errors.EmptyDataError:
        raise ValueError(f"Manifest {csv_path} is empty. Received: csv_path={csv_path}") from None


def csv_manifest(csv_path, *, name=None, multi_label=None, evaluation=None, check_files=True):
    """Reads a CSV manifest `path,label[,split][,fold][,start,end]` (or `labels` for multi-label).

    Relative paths are resolved against the CSV's folder. A manifest with a `fold`
    column of at least two folds is evaluated leave-one-fold-out (as US8K / ESC-50),
    otherwise by its `split` column (train/valid/test; other columns are ignored).
    Multi-label rows give labels separated by `;`, `|` or `,` in a `labels` column
    (or set `multi_label=True` to parse `label` that way).

    Args:
        csv_path: the manifest.
        name: task name (default: the CSV's stem, or its folder's name for
            `manifest.csv`).
        multi_label: force/deny multi-label parsing (default: a `labels` column).
        evaluation: `"folds"` or `"split"` to override the choice above.
        check_files: raise a ValueError naming the missing files, if any.
    """
    if not os.path.isfile(csv_path):
        raise ValueError(f"Manifest not found: {csv_path}. Received: csv_path={csv_path}")
    table = read_manifest_table(csv_path)
    if "path" not in table.columns:
        raise ValueError(f"Manifest {csv_path} has no `path` column. Received: columns={list(table.columns)}")
    label_column = "labels" if "labels" in table.columns else "label"
    if label_column not in table.columns:
        raise ValueError(f"Manifest {csv_path} has no `label`/`labels` column. Received: columns={list(table.columns)}")
    if multi_label is None:
        multi_label = label_column == "labels"
    empty_path = table["path"].isna() | (table["path"].astype(object).map(lambda v: str(v).strip()) == "")
    if empty_path.any():
        # pandas keeps an empty cell as NaN (also with pandas 3's string dtype): name the line, not "nan".
        lines = [int(i) + 2 for i in np.flatnonzero(empty_path.to_numpy())]
        raise ValueError(f"Manifest {csv_path} has an empty `path` on line(s) {lines[:10]}; remove or fill those rows.")
    base = os.path.dirname(os.path.abspath(csv_path))
    paths = [p if os.path.isabs(p) else os.path.normpath(os.path.join(base, p)) for p in table["path"].astype(str)]
    if check_files:
        missing = [(i + 2, p) for i, p in enumerate(paths) if not os.path.exists(p)]
        if missing:
            shown = ", ".join(f"line {line}: {p}" for line, p in missing[:5])
            raise ValueError(f"{len(missing)} file(s) listed in {csv_path} do not exist ({shown})")
    if table[label_column].isna().all():
        raise ValueError(f"Manifest {csv_path} has no labels (an unlabelled pool?); it cannot be a task.")
    if table[label_column].isna().any():
        line = int(np.flatnonzero(table[label_column].isna())[0]) + 2
        raise ValueError(f"Manifest {csv_path} line {line} has an empty label.")
    frame = pd.DataFrame({"path": paths})
    if multi_label:
        frame["label"] = [_split_labels(v) for v in table[label_column]]
        classes = sorted({label for labels in frame["label"] for label in labels})
    else:
        frame["label"] = table[label_column].astype(str).str.strip().tolist()
        classes = sorted(set(frame["label"]))
    has_split = "split" in table.columns and table["split"].notna().any()
    has_fold = "fold" in table.columns and table["fold"].notna().all() and table["fold"].nunique() >= 2
    if has_split:
        frame["split"] = [canonical_split(v, f" in {csv_path} line {i + 2}") for i, v in enumerate(table["split"])]
    else:
        frame["split"] = None
    frame["fold"] = table["fold"].tolist() if has_fold else None
    for column in ("start", "end"):
        if column in table.columns:
            frame[column] = table[column].astype(float)
    if evaluation is None:
        evaluation = "folds" if has_fold else "split"
    if evaluation not in ("split", "folds"):
        raise ValueError(f"`evaluation` must be 'split' or 'folds'. Received: evaluation={evaluation!r}")
    if (evaluation == "split" and not has_split) or (evaluation == "folds" and not has_fold):
        raise ValueError(
            f"Manifest {csv_path} needs a `split` column or a `fold` column with >= 2 folds for "
            f"evaluation={evaluation!r}. Received: columns={list(table.columns)}"
        )
    if name is None:
        stem = os.path.splitext(os.path.basename(csv_path))[0]
        name = os.path.basename(base) if stem in ("manifest", "labels", "metadata") else stem
    return DownstreamDataset(name, frame, classes, multi_label, evaluation=evaluation)


def voxforge(csv_path, *, check_files=True):
    """VoxForge language identification from a prepared manifest CSV.

    VoxForge has no official split; BYOL-A used a prepared manifest (path, language
    label, train/valid/test split). Give it in this package's manifest format
    (`path,label,split`).
    """
    return csv_manifest(csv_path, name="voxforge", multi_label=False, check_files=check_files)
