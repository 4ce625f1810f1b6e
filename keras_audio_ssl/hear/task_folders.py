"""Writes our tasks as HEAR 2021 task folders, the layout `heareval` reads.

    write_hear_tasks(["bench/"], "hear_tasks/")   # an offline benchmark, CSVs, events CSVs, tfds:NAME

The layout (see `keras_audio_ssl.data.downstream.hear_tasks`, which reads it back):
`task_metadata.json`, `labelvocabulary.csv`, `<split>.json` and the audio as
16 kHz float WAV files in `16000/<split>/`. Scene tasks (clip labels) keep their
train/valid/test split (`trainvaltest`) or their folds (`presplit_kfold`, folds
`fold00`, ...; heareval tests on one fold, validates on the next and trains on
the rest, so at least 3 folds); event tasks (onset/offset/label) become
`trainvaltest` event tasks with onsets in milliseconds. A task without a valid
split gets one drawn from its training clips (`valid_fraction`, seeded), as
hearpreprocess does. A finished folder is renamed into place; a folder written
earlier from the same source with the same options is reused.
"""

import json
import os
import re

import numpy as np
import pandas as pd

from keras_audio_ssl.atomic_write import remove_leftovers
from keras_audio_ssl.atomic_write import replacing
from keras_audio_ssl.data.downstream.hear_tasks import KFOLD_MODES
from keras_audio_ssl.data.downstream.hear_tasks import METADATA
from keras_audio_ssl.data.downstream.hear_tasks import SAMPLE_RATE
from keras_audio_ssl.data.downstream.hear_tasks import VOCABULARY

#: heareval's score names per task kind (the first is the one it selects models on).
SCENE_SCORES = {"multiclass": ["top1_acc"], "multilabel": ["mAP", "d_prime", "aucroc"]}
EVENT_SCORES = ["event_onset_200ms_fms", "segment_1s_er"]
_BATCH = 64  # clips loaded at a time: a large task never sits in memory whole


def _slug(text):
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", str(text)).strip("._") or "task"


def _fit(wave, samples):
    if samples is None:
        return wave
    return wave[:samples] if len(wave) >= samples else np.pad(wave, (0, samples - len(wave)))


def _write_audio(folder, clips, names, splits, samples):
    """Writes each clip as `16000/<split>/<name>`; returns the clip durations in seconds."""
    import soundfile as sf

    from keras_audio_ssl.audio.clips import load_clips

    durations = []
    for start in range(0, len(clips), _BATCH):
        waves = load_clips(clips[start:start + _BATCH], SAMPLE_RATE)
        for wave, name, split in zip(waves, names[start:start + _BATCH], splits[start:start + _BATCH]):
            wave = _fit(wave, samples)
            os.makedirs(os.path.join(folder, str(SAMPLE_RATE), split), exist_ok=True)
            sf.write(os.path.join(folder, str(SAMPLE_RATE), split, name), wave, SAMPLE_RATE, subtype="FLOAT")
            durations.append(len(wave) / SAMPLE_RATE)
    return durations


def _valid_from_train(splits, valid_fraction, seed):
    """Splits (train/valid/test per clip) with a seeded `valid_fraction` of train moved to valid if none is valid."""
    splits = np.asarray(splits, dtype=object)
    if (splits == "valid").any():
        return splits
    train = np.flatnonzero(splits == "train")
    if len(train) < 2:
        raise ValueError(f"A HEAR task needs a valid split: drawing it needs >= 2 training clips. Received: {len(train)}")
    count = min(len(train) - 1, max(1, int(round(valid_fraction * len(train)))))
    splits = splits.copy()
    splits[np.random.default_rng(seed).choice(train, size=count, replace=False)] = "valid"
    return splits


def _names(paths):
    return [f"{i:05d}_{_slug(os.path.splitext(os.path.basename(str(p)))[0])}.wav" for i, p in enumerate(paths)]


def _finish(folder, metadata, split_labels, classes):
    for split, labels in split_labels.items():
        with open(os.path.join(folder, f"{split}.json"), "w") as f:
            json.dump(labels, f, indent=1)
    pd.DataFrame({"idx": range(len(classes)), "label": classes}).to_csv(os.path.join(folder, VOCABULARY), index=False)
    with open(os.path.join(folder, METADATA), "w") as f:
        json.dump(metadata, f, indent=1)


def _metadata(name, embedding_type, prediction_type, split_mode, splits, durations, sample_duration, evaluation,
              conversion):
    if sample_duration is None and durations and max(durations) - min(durations) < 1.0 / SAMPLE_RATE:
        sample_duration = round(durations[0], 6)  # equal lengths: heareval embeds in batches
    metadata = {"task_name": name, "version": "keras_audio_ssl", "embedding_type": embedding_type,
                "prediction_type": prediction_type, "split_mode": split_mode, "splits": list(splits),
                "sample_duration": sample_duration, "evaluation": list(evaluation), "mode": "full",
                "default_mode": "full", "keras_audio_ssl_conversion": conversion}
    if split_mode in KFOLD_MODES:
        metadata["nfolds"] = len(splits)
    return metadata


def _reusable(folder, conversion):
    try:
        with open(os.path.join(folder, METADATA)) as f:
            return json.load(f).get("keras_audio_ssl_conversion") == conversion
    except (OSError, ValueError):
        return False


def _into_place(final, conversion, write, verbose):
    """Calls `write(tmp_folder)` and renames the result to `final`, unless `final` came from the same conversion."""
    if _reusable(final, conversion):
        if verbose:
            print(f"[hear-tasks] reusing {os.path.basename(final)}: {final}", flush=True)
        return final
    if verbose:
        print(f"[hear-tasks] writing {os.path.basename(final)}: {final}", flush=True)
    remove_leftovers(os.path.dirname(final), os.path.basename(final))  # a killed write's copy of the audio
    with replacing(final, directory=True, overwrite=True) as tmp:  # the old folder stays until the new one is whole
        write(tmp)
    return final


def write_scene_task(task, output, *, sample_duration=None, valid_fraction=0.1, seed=0, source=None, verbose=False):
    """Writes a `DownstreamDataset` as the HEAR scene task folder `<output>/<task name>`; returns its path."""
    frame = task.frame.reset_index(drop=True)
    if task.evaluation == "folds":
        folds = sorted(frame["fold"].unique().tolist())
        if len(folds) < 3:
            raise ValueError(f"Task {task.name!r}: heareval needs >= 3 folds (test, valid and train folds). "
                             f"Received: folds={folds}")
        splits = [f"fold{folds.index(f):02d}" for f in frame["fold"]]
        split_mode, split_names = "presplit_kfold", [f"fold{i:02d}" for i in range(len(folds))]
    else:
        keep = frame["split"].isin(["train", "valid", "test"]).to_numpy()
        frame = frame[keep].reset_index(drop=True)
        splits = list(_valid_from_train(frame["split"].tolist(), valid_fraction, seed))
        split_mode, split_names = "trainvaltest", ["train", "valid", "test"]
    prediction_type = "multilabel" if task.multi_label else "multiclass"
    conversion = {"source": source, "sample_duration": sample_duration, "valid_fraction": valid_fraction,
                  "seed": seed, "clips": len(frame)}
    names = _names(frame["path"])
    samples = int(round(sample_duration * SAMPLE_RATE)) if sample_duration else None

    def write(folder):
        durations = _write_audio(folder, task.clips(frame, SAMPLE_RATE), names, splits, samples)
        labels = {s: {} for s in split_names}
        for name, split, label in zip(names, splits, frame["label"]):
            labels[split][name] = list(label) if task.multi_label else [label]
        _finish(folder, _metadata(_slug(task.name), "scene", prediction_type, split_mode, split_names, durations,
                                  sample_duration, SCENE_SCORES[prediction_type], conversion),
                labels, list(task.classes))

    return _into_place(os.path.join(output, _slug(task.name)), conversion, write, verbose)


def write_event_task(task, output, *, sample_duration=None, valid_fraction=0.1, seed=0, source=None, verbose=False):
    """Writes a `SoundEventDataset` as the HEAR event task folder `<output>/<task name>`; returns its path."""
    clips = task.clips.reset_index(drop=True)
    clips = clips[clips["split"].isin(["train", "valid", "test"])].reset_index(drop=True)
    splits = list(_valid_from_train(clips["split"].tolist(), valid_fraction, seed))
    conversion = {"source": source, "sample_duration": sample_duration, "valid_fraction": valid_fraction,
                  "seed": seed, "clips": len(clips)}
    names = _names(clips["path"])
    samples = int(round(sample_duration * SAMPLE_RATE)) if sample_duration else None

    def write(folder):
        durations = _write_audio(folder, clips["path"].tolist(), names, splits, samples)
        labels = {s: {} for s in ("train", "valid", "test")}
        for name, split, path, seconds in zip(names, splits, clips["path"], durations):
            # Events are kept within the written audio (a trimmed clip loses what lies beyond).
            labels[split][name] = [{"label": label, "start": round(1000.0 * onset, 3),
                                    "end": round(1000.0 * min(offset, seconds), 3)}
                                   for onset, offset, label in task.events_of(path) if onset < seconds]
        _finish(folder, _metadata(_slug(task.name), "event", "multilabel", "trainvaltest", ["train", "valid", "test"],
                                  durations, sample_duration, EVENT_SCORES, conversion),
                labels, list(task.classes))

    return _into_place(os.path.join(output, _slug(task.name)), conversion, write, verbose)


def _kinds(source):
    """(has scene tasks, has event tasks) of one task source."""
    from keras_audio_ssl.data.downstream.sound_events import is_events_csv
    from keras_audio_ssl.data.downstream.sound_events import looks_like_dcase2016
    from keras_audio_ssl.data.downstream.tfds_tasks import is_tfds_source
    from keras_audio_ssl.evaluation.tasks import find_task_manifests

    if is_tfds_source(source):
        return True, False
    if os.path.isfile(source):
        return (False, True) if is_events_csv(source) else (True, False)
    if not os.path.isdir(source):
        raise ValueError(f"Task source not found: {source}. Received: {source!r}")
    description = os.path.join(source, "benchmark.json")
    if os.path.isfile(description):
        with open(description) as f:
            types = [info.get("type") for info in json.load(f).get("tasks", {}).values()]
        return any(t not in ("unlabeled", "sed") for t in types), "sed" in types
    csvs = [os.path.join(source, n) for n in sorted(os.listdir(source)) if n.endswith(".csv")]
    has_events = any(is_events_csv(c) for c in csvs) or looks_like_dcase2016(source)
    return bool(find_task_manifests(source)), has_events


def write_hear_tasks(sources, output, *, names=None, sample_duration=None, valid_fraction=0.1, seed=0, verbose=True):
    """Writes every task of `sources` as a HEAR task folder under `output`; returns the folders.

    Args:
        sources: offline benchmark folders, task folders of CSVs, `path,label,split[,fold]`
            manifests, events CSVs (`path,split,onset,offset,label`), DCASE 2016 task 2
            folders and/or `tfds:NAME` (anything `python -m keras_audio_ssl.evaluation`
            reads). HEAR task folders (`hear:PATH`) are returned as they are.
        output: the tasks folder (heareval's `--tasks-dir`).
        names: keep only the tasks with these names (default: all).
        sample_duration: seconds every clip is padded (zeros at the end) or trimmed
            to; default: the clips as they are (`sample_duration` null unless equal).
    """
    from keras_audio_ssl.data.downstream.hear_tasks import hear_task_folders
    from keras_audio_ssl.data.downstream.hear_tasks import is_hear_source
    from keras_audio_ssl.evaluation.tasks import load_sound_event_tasks
    from keras_audio_ssl.evaluation.tasks import load_tasks

    os.makedirs(output, exist_ok=True)
    options = dict(sample_duration=sample_duration, valid_fraction=valid_fraction, seed=seed)
    folders = []
    for source in [sources] if isinstance(sources, (str, os.PathLike)) else sources:
        source = os.fspath(source)
        if is_hear_source(source):
            folders += [f for f in hear_task_folders(source) if names is None or os.path.basename(f) in names]
            continue
        scene, event = _kinds(source)
        tasks = [(t, write_scene_task) for t in (load_tasks(source) if scene else [])]
        tasks += [(t, write_event_task) for t in (load_sound_event_tasks(source) if event else [])]
        for task, write in tasks:
            if names is not None and task.name not in names:
                continue
            folders.append(write(task, output, source=os.path.abspath(source) if os.path.exists(source) else source,
                                 verbose=verbose, **options))
    if not folders:
        raise ValueError(f"No task to write from {sources}" + (f" named {sorted(names)}" if names else "")
                         + f". Received: sources={sources}")
    return folders
