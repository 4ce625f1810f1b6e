"""HEAR 2021 task folders as downstream tasks: `--tasks hear:/path/to/task_folder`.

A HEAR task folder (what `hearpreprocess` writes and `heareval` reads; also what
`keras_audio_ssl.hear.task_folders` writes) holds:

- `task_metadata.json`: `task_name`, `embedding_type` (`scene` / `event`),
  `prediction_type` (`multiclass` / `multilabel`), `split_mode` (`trainvaltest`,
  or `presplit_kfold` / `new_split_kfold` with folds `fold00`, `fold01`, ...),
  `splits`, `sample_duration` (seconds every clip was padded/trimmed to, or null)
  and `evaluation` (heareval's score names);
- `labelvocabulary.csv` (`idx,label`);
- `<split>.json`: file name -> labels (scene: a list of labels; event: a list of
  `{"label", "start", "end"}` in milliseconds);
- `<sample rate>/<split>/<file name>`: the audio, one folder per sample rate.

A scene task becomes a `DownstreamDataset` (train/valid/test splits, or
leave-one-fold-out over the folds); an event task a `SoundEventDataset`
(`--task sed`). A folder holding several task folders (heareval's `tasks/`)
gives all of them.
"""

import json
import os

import pandas as pd

PREFIX = "hear:"
METADATA = "task_metadata.json"
VOCABULARY = "labelvocabulary.csv"
SAMPLE_RATE = 16000
TRAINVALTEST = ("train", "valid", "test")
KFOLD_MODES = ("presplit_kfold", "new_split_kfold")


def is_hear_source(source):
    """`hear:PATH`, or a folder holding `task_metadata.json` (itself or one level down)."""
    source = os.fspath(source)
    if source.startswith(PREFIX):
        return True
    return os.path.isdir(source) and bool(_task_folders(source))


def _task_folders(folder):
    if os.path.isfile(os.path.join(folder, METADATA)):
        return [folder]
    return sorted(os.path.join(folder, name) for name in os.listdir(folder)
                  if os.path.isfile(os.path.join(folder, name, METADATA)))


def hear_task_folders(source):
    """The task folders a `hear:` source names: the folder itself or the task folders in it."""
    source = os.fspath(source)
    folder = source[len(PREFIX):] if source.startswith(PREFIX) else source
    if not os.path.isdir(folder):
        raise ValueError(f"HEAR task folder not found: {folder}. Received: {source!r}")
    folders = _task_folders(folder)
    if not folders:
        raise ValueError(f"No HEAR task in {folder}: expected {METADATA} in it or in its subfolders. "
                         f"Received: {source!r}")
    return folders


def read_metadata(folder):
    path = os.path.join(folder, METADATA)
    try:
        with open(path) as f:
            metadata = json.load(f)
    except (OSError, json.JSONDecodeError) as error:
        raise ValueError(f"Cannot read {path}: {error}. Received: folder={folder}") from None
    missing = [k for k in ("task_name", "embedding_type", "split_mode", "splits") if k not in metadata]
    if missing:
        raise ValueError(f"{path} lacks {missing}. Received: keys={sorted(metadata)}")
    return metadata


def _audio_folder(folder):
    """`<folder>/16000`, else the one sample-rate folder there (our loader resamples)."""
    preferred = os.path.join(folder, str(SAMPLE_RATE))
    if os.path.isdir(preferred):
        return preferred
    rates = sorted(n for n in os.listdir(folder) if n.isdigit() and os.path.isdir(os.path.join(folder, n)))
    if not rates:
        raise ValueError(f"HEAR task {folder} has no audio folder (16000/<split>/). Received: {sorted(os.listdir(folder))}")
    return os.path.join(folder, rates[-1])


def _split_labels(folder, split):
    path = os.path.join(folder, f"{split}.json")
    if not os.path.isfile(path):
        raise ValueError(f"HEAR task {folder} lists split {split!r} but has no {split}.json. Received: {path}")
    with open(path) as f:
        return json.load(f)


def _our_split(metadata, split):
    """(split, fold) of a HEAR split name in our task format."""
    if metadata["split_mode"] == "trainvaltest":
        if split not in TRAINVALTEST:
            raise ValueError(f"trainvaltest split {split!r} is not one of {TRAINVALTEST}. Received: {split!r}")
        return split, None
    if metadata["split_mode"] in KFOLD_MODES:
        return None, metadata["splits"].index(split) + 1
    raise ValueError(f"Unknown HEAR split_mode. Received: split_mode={metadata['split_mode']!r}")


def hear_scene_task(folder):
    """A scene task folder as a `DownstreamDataset` (multi-label for `prediction_type: multilabel`)."""
    from keras_audio_ssl.data.downstream.dataset import DownstreamDataset

    metadata = read_metadata(folder)
    if metadata["embedding_type"] != "scene":
        raise ValueError(f"HEAR task {folder} is an {metadata['embedding_type']} task: score it with --task sed. "
                         f"Received: embedding_type={metadata['embedding_type']!r}")
    multi_label = metadata.get("prediction_type") == "multilabel"
    audio = _audio_folder(folder)
    rows = []
    for split in metadata["splits"]:
        ours, fold = _our_split(metadata, split)
        for name, labels in _split_labels(folder, split).items():
            labels = [str(label) for label in labels]
            if not multi_label and len(labels) != 1:
                raise ValueError(f"{folder}/{split}.json gives {name} {len(labels)} labels in a multiclass task. "
                                 f"Received: {labels}")
            rows.append({"path": os.path.join(audio, split, name), "split": ours, "fold": fold,
                         "label": tuple(sorted(labels)) if multi_label else labels[0]})
    frame = pd.DataFrame(rows, columns=["path", "label", "split", "fold"])
    classes = sorted({c for labels in frame["label"] for c in labels} if multi_label else set(frame["label"]))
    evaluation = "folds" if metadata["split_mode"] in KFOLD_MODES else "split"
    task = DownstreamDataset(metadata["task_name"], frame, classes, multi_label, evaluation=evaluation)
    if metadata.get("sample_duration"):
        task.unit_seconds = float(metadata["sample_duration"])  # every clip was padded/trimmed to it
    return task


def hear_event_task(folder):
    """An event task folder (`trainvaltest`) as a `SoundEventDataset`; onsets in seconds."""
    from keras_audio_ssl.data.downstream.sound_events import SoundEventDataset

    metadata = read_metadata(folder)
    if metadata["embedding_type"] != "event":
        raise ValueError(f"HEAR task {folder} is a scene task, not a sound event task. "
                         f"Received: embedding_type={metadata['embedding_type']!r}")
    if metadata["split_mode"] != "trainvaltest":
        raise ValueError(f"HEAR event task {folder}: only split_mode trainvaltest is read for --task sed. "
                         f"Received: split_mode={metadata['split_mode']!r}")
    audio = _audio_folder(folder)
    clips, events = [], []
    for split in metadata["splits"]:
        _our_split(metadata, split)
        for name, file_events in _split_labels(folder, split).items():
            path = os.path.join(audio, split, name)
            clips.append({"path": path, "split": split})
            events += [{"path": path, "onset": float(e["start"]) / 1000.0, "offset": float(e["end"]) / 1000.0,
                        "label": str(e["label"])} for e in file_events]
    events = pd.DataFrame(events, columns=["path", "onset", "offset", "label"])
    return SoundEventDataset(metadata["task_name"], pd.DataFrame(clips, columns=["path", "split"]), events,
                             sorted(events["label"].unique().tolist()))


def hear_tasks(source, embedding_type):
    """The tasks of one `hear:` source with `embedding_type` (`scene` or `event`)."""
    folders = hear_task_folders(source)
    kept = [f for f in folders if read_metadata(f)["embedding_type"] == embedding_type]
    if not kept:
        kinds = sorted({read_metadata(f)["embedding_type"] for f in folders})
        hint = "--task sed" if embedding_type == "scene" else "--task classification"
        raise ValueError(f"No HEAR {embedding_type} task in {source} (found {kinds}; score those with {hint}). "
                         f"Received: {source!r}")
    return [hear_scene_task(f) if embedding_type == "scene" else hear_event_task(f) for f in kept]
