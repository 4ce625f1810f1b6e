"""Running probes on downstream tasks: manifests in, a results DataFrame out."""

import glob
import json
import os
import time

import numpy as np
import pandas as pd

from keras_audio_ssl.data.downstream.sound_events import is_events_csv
from keras_audio_ssl.evaluation.classification_metrics import accuracy
from keras_audio_ssl.audio.clips import load_clips
from keras_audio_ssl.evaluation.embeddings import embed_clips
from keras_audio_ssl.evaluation.knn import knn_predict
from keras_audio_ssl.evaluation.linear_probe import DEFAULT_RUNS
from keras_audio_ssl.evaluation.linear_probe import MLP_HIDDEN_UNITS
from keras_audio_ssl.evaluation.linear_probe import leave_one_fold_out
from keras_audio_ssl.evaluation.linear_probe import linear_probe
from keras_audio_ssl.evaluation.pitch_metrics import chroma_accuracy
from keras_audio_ssl.evaluation.pitch_metrics import midi_to_hz
from keras_audio_ssl.evaluation.pitch_metrics import pitch_accuracy
from keras_audio_ssl.evaluation.results import results_frame
from keras_audio_ssl.evaluation.unit_segments import CLIP_LENGTHS
from keras_audio_ssl.evaluation.unit_segments import DEFAULT_STATS_CROPS
from keras_audio_ssl.evaluation.unit_segments import resolve_unit_seconds
from keras_audio_ssl.evaluation.unit_segments import statistics_crops
from keras_audio_ssl.evaluation.unit_segments import unit_segments

PROTOCOLS = ("linear", "mlp", "knn")


def _has_label_column(csv_path):
    try:
        table = pd.read_csv(csv_path, keep_default_na=False, na_values=[""])
    except Exception:  # Not a CSV table: not a task.
        return False
    label = "labels" if "labels" in table.columns else "label"
    return "path" in table.columns and label in table.columns and table[label].notna().any()


def find_task_manifests(folder):
    """Task manifests in a benchmark folder.

    An offline benchmark (`tools/make_offline_benchmark.py`) lists its tasks in
    `benchmark.json` (the unlabelled pretraining pool is left out). Any other folder:
    CSVs with `path` and `label(s)` columns and at least one label, at the top level
    or one folder down.
    """
    description = os.path.join(folder, "benchmark.json")
    if os.path.isfile(description):
        with open(description) as f:
            tasks = json.load(f).get("tasks", {})
        return [
            os.path.join(folder, info.get("manifest", f"{name}.csv"))
            for name, info in tasks.items()
            if info.get("type") not in ("unlabeled", "sed")  # SED has its own loader and protocol
        ]
    candidates = sorted(glob.glob(os.path.join(folder, "*.csv")) + glob.glob(os.path.join(folder, "*", "*.csv")))
    return [c for c in candidates if _has_label_column(c) and not is_events_csv(c)]


def load_tasks(sources):
    """DownstreamDatasets from benchmark folders, manifest CSV paths, TFDS names (`tfds:speech_commands`)
    and/or HEAR task folders (`hear:PATH`, scene tasks)."""
    from keras_audio_ssl.data.downstream import csv_manifest
    from keras_audio_ssl.data.downstream.hear_tasks import hear_tasks
    from keras_audio_ssl.data.downstream.hear_tasks import is_hear_source
    from keras_audio_ssl.data.downstream.tfds_tasks import is_tfds_source
    from keras_audio_ssl.data.downstream.tfds_tasks import tfds_task

    if isinstance(sources, (str, os.PathLike)):
        sources = [sources]
    tasks = []
    for source in sources:
        source = os.fspath(source)
        if is_tfds_source(source):
            tasks.append(tfds_task(source))
        elif is_hear_source(source):
            tasks.extend(hear_tasks(source, "scene"))
        elif os.path.isdir(source):
            manifests = find_task_manifests(source)
            if not manifests:
                raise ValueError(f"No task manifest (CSV with path,label columns) in {source}. Received: {source}")
            tasks.extend(csv_manifest(m) for m in manifests)
        elif os.path.isfile(source):
            tasks.append(csv_manifest(source))
        else:
            raise ValueError(f"Task source not found: {source}. Received: sources={sources}")
    names = [t.name for t in tasks]
    duplicated = {n for n in names if names.count(n) > 1}
    if duplicated:
        # Two manifests with the same stem: qualify by their folder.
        for task in tasks:
            if task.name in duplicated:
                task.name = f"{os.path.basename(os.path.dirname(task.frame['path'].iloc[0]))}/{task.name}"
    return tasks


def _benchmark_tasks(folder, kind):
    with open(os.path.join(folder, "benchmark.json")) as f:
        tasks = json.load(f).get("tasks", {})
    return [os.path.join(folder, info.get("manifest", f"{name}.csv")) for name, info in tasks.items()
            if (info.get("type") == "sed") == (kind == "sed") and (kind == "sed" or name == "pitch")]


def load_sound_event_tasks(sources):
    """SoundEventDatasets from offline benchmarks (their `sed` task), DCASE 2016 task 2
    folders (`dcase2016_task2`), events CSVs (`events_csv`) and HEAR event task folders (`hear:PATH`)."""
    from keras_audio_ssl.data.downstream.hear_tasks import hear_tasks
    from keras_audio_ssl.data.downstream.hear_tasks import is_hear_source
    from keras_audio_ssl.data.downstream.sound_events import dcase2016_task2
    from keras_audio_ssl.data.downstream.sound_events import events_csv
    from keras_audio_ssl.data.downstream.sound_events import looks_like_dcase2016

    tasks = []
    for source in [sources] if isinstance(sources, (str, os.PathLike)) else sources:
        source = os.fspath(source)
        if is_hear_source(source):
            found = hear_tasks(source, "event")
        elif os.path.isfile(os.path.join(source, "benchmark.json")):
            found = [events_csv(m) for m in _benchmark_tasks(source, "sed")]
        elif os.path.isdir(source) and looks_like_dcase2016(source):
            found = [dcase2016_task2(source)]
        elif os.path.isdir(source):
            found = [events_csv(c) for c in sorted(glob.glob(os.path.join(source, "*.csv"))) if is_events_csv(c)]
        elif os.path.isfile(source):
            found = [events_csv(source)]
        else:
            raise ValueError(f"Task source not found: {source}. Received: sources={sources}")
        if not found:
            raise ValueError(
                f"No sound event task in {source}: expected an offline benchmark with a `sed` task, a DCASE 2016 "
                "task 2 folder (sound/ + annotation/) or an events CSV (path,split,onset,offset,label). "
                f"Received: {source}"
            )
        tasks.extend(found)
    return tasks


def load_pitch_tasks(sources):
    """Pitch tasks (labels = MIDI notes): an offline benchmark's `pitch` task, an NSynth
    root (`nsynth(root, target="pitch")`) or a manifest CSV."""
    from keras_audio_ssl.data.downstream import csv_manifest
    from keras_audio_ssl.data.downstream import nsynth

    tasks = []
    for source in [sources] if isinstance(sources, (str, os.PathLike)) else sources:
        source = os.fspath(source)
        if os.path.isfile(os.path.join(source, "benchmark.json")):
            found = [csv_manifest(m) for m in _benchmark_tasks(source, "pitch")]
        elif os.path.isdir(source) and glob.glob(os.path.join(source, "nsynth-*")):
            found = [nsynth(source, target="pitch")]
        elif os.path.isfile(source):
            found = [csv_manifest(source)]
        else:
            raise ValueError(f"Task source not found or not a pitch task: {source}. Received: sources={sources}")
        if not found:
            raise ValueError(f"No pitch task in {source}: expected an offline benchmark with a `pitch` task, an "
                             f"NSynth root or a manifest CSV of MIDI-note labels. Received: {source}")
        tasks.extend(found)
    return tasks


def _knn_folds(x, y, folds, k):
    scores = []
    for fold in np.unique(folds):
        test = folds == fold
        scores.append(accuracy(y[test], knn_predict(x[~test], y[~test], x[test], k=k)))
    return float(np.mean(scores))


def _pitch_metrics(task, y_true, y_pred):
    """CREPE's pitch/chroma accuracy for a pitch task whose classes are MIDI notes
    (NSynth pitch, the offline benchmark's pitch task), from the last probe run."""
    if task.multi_label or "pitch" not in task.name:
        return {}
    try:
        midi = np.array([int(c) for c in task.classes])
    except ValueError:
        return {}
    reference, estimate = midi_to_hz(midi[y_true]), midi_to_hz(midi[np.asarray(y_pred)])
    return {"pitch_accuracy": pitch_accuracy(reference, estimate), "chroma_accuracy": chroma_accuracy(reference, estimate)}


def _embed_task(embedding_model, task, frame, norm_mask, *, clip_length, unit_seconds, stats_crops, max_seconds,
                seed, normalize_with, batch_size, sample_rate):
    """`(embeddings [N, d], unit seconds or None)` of the task's rows under `clip_length`."""
    if clip_length not in CLIP_LENGTHS:
        raise ValueError(f"`clip_length` must be one of {CLIP_LENGTHS}. Received: clip_length={clip_length!r}")
    downstream = normalize_with == "downstream"
    if clip_length == "whole":
        x = embed_clips(
            embedding_model, task.clips(frame, sample_rate), batch_size=batch_size, sample_rate=sample_rate,
            normalize_with=normalize_with, normalization_clips=task.clips(frame[norm_mask], sample_rate) if downstream else None,
            max_samples=int(max_seconds * sample_rate) if max_seconds else None,
        )
        return x, None
    waveforms = load_clips(task.clips(frame, sample_rate), sample_rate)
    unit = resolve_unit_seconds(unit_seconds, getattr(task, "unit_seconds", None), waveforms, sample_rate)
    unit_samples = int(round(unit * sample_rate))
    normalization_clips = None
    if downstream:
        train_waves = [w for w, used in zip(waveforms, norm_mask) if used]
        normalization_clips = statistics_crops(train_waves, unit_samples, seed, max_crops=stats_crops)
    x = embed_clips(embedding_model, unit_segments(waveforms, unit_samples, seed), batch_size=batch_size,
                    sample_rate=sample_rate, normalize_with=normalize_with, normalization_clips=normalization_clips,
                    min_samples=None)
    return x, unit


def run_task(embedding_model, task, *, protocols=("linear",), runs=DEFAULT_RUNS, seed=0, normalize_with="downstream",
             batch_size=32, k=200, clip_length="unit", unit_seconds=None, stats_crops=DEFAULT_STATS_CROPS,
             max_seconds=None, sample_rate=16000, hidden_units=MLP_HIDDEN_UNITS, **probe_kwargs):
    """Embeds a task's clips once and runs each protocol on the embeddings.

    Inputs (`clip_length`): `"unit"` (default, BYOL-A's official protocol, see
    `unit_segments`): one seeded random crop of the task's unit length per clip,
    shorter clips zero-padded at both ends; the unit is `unit_seconds`, else the
    task's own (`task.unit_seconds`, the dataset's published average duration),
    else the mean clip duration. `"whole"`: whole clips (shorter ones padded to
    0.95 s, longer ones centre-cropped to `max_seconds` if given).

    Normalisation with `normalize_with="downstream"` uses the statistics of the
    task's training split (for fold-based tasks, of all clips: every clip is training
    data for all but one fold, and no labels are used); under `"unit"`, of up to
    `stats_crops` random unit crops of those clips.

    Protocols: `"linear"` (`linear_probe`), `"mlp"` (`mlp_probe`: the same with one
    hidden ReLU layer of `hidden_units`, HARES's AudioSet protocol) and `"knn"`.

    Returns:
        list of result dicts (one per protocol) with `task`, `protocol`, `metric`,
        `score`, `score_std`, `runs`, `n_train`, `n_test`, `n_classes`, `embedding_dim`,
        `embed_seconds`, `probe_seconds` and per-run `scores`.
    """
    unknown = set(protocols) - set(PROTOCOLS)
    if unknown:
        raise ValueError(f"Unknown protocol(s) {sorted(unknown)}; expected a subset of {PROTOCOLS}. Received: protocols={protocols}")
    frame = task.frame
    if task.evaluation == "split":
        frame = frame[frame["split"].isin(["train", "valid", "test"])]
        if (frame["split"] == "train").sum() == 0 or (frame["split"] == "test").sum() == 0:
            raise ValueError(f"Task {task.name!r} needs train and test rows. Received: splits={frame['split'].value_counts().to_dict()}")
        norm_mask = (frame["split"] == "train").to_numpy()
    else:
        norm_mask = np.ones(len(frame), dtype=bool)
    started = time.perf_counter()
    x, unit = _embed_task(embedding_model, task, frame, norm_mask, clip_length=clip_length,
                          unit_seconds=unit_seconds, stats_crops=stats_crops, max_seconds=max_seconds, seed=seed,
                          normalize_with=normalize_with, batch_size=batch_size, sample_rate=sample_rate)
    embed_seconds = time.perf_counter() - started
    y = task.targets(frame)
    results = []
    for protocol in protocols:
        if protocol == "knn" and task.multi_label:
            continue  # Majority vote is single-label.
        started = time.perf_counter()
        extra = {}
        probe = dict(probe_kwargs, hidden_units=hidden_units) if protocol == "mlp" else probe_kwargs
        if task.evaluation == "folds":
            folds = frame["fold"].to_numpy()
            n_train = n_test = len(frame)
            if protocol != "knn":
                result = leave_one_fold_out(x, y, folds, runs=runs, seed=seed, **probe)
            else:
                score = _knn_folds(x, y, folds, k)
                result = {"metric": "accuracy", "score": score, "score_std": 0.0, "scores": [score]}
        else:
            split = frame["split"].to_numpy()
            tr, va, te = split == "train", split == "valid", split == "test"
            n_train, n_test = int(tr.sum()), int(te.sum())
            if protocol != "knn":
                valid = {"x_valid": x[va], "y_valid": y[va]} if va.any() else {}
                result = linear_probe(x[tr], y[tr], x[te], y[te], runs=runs, seed=seed, **valid, **probe)
            else:
                predictions = knn_predict(x[tr], y[tr], x[te], k=k)
                score = accuracy(y[te], predictions)
                result = {"metric": "accuracy", "score": score, "score_std": 0.0, "scores": [score],
                          "predictions": predictions}
            extra = _pitch_metrics(task, y[te], result["predictions"])
        results.append({
            "task": task.name,
            "protocol": {"linear": "linear", "mlp": f"mlp({hidden_units})"}.get(protocol, f"knn(k={k})"),
            "metric": result["metric"],
            "score": result["score"],
            "score_std": result["score_std"],
            "runs": len(result["scores"]),
            "n_train": n_train,
            "n_test": n_test,
            "n_classes": len(task.classes),
            "embedding_dim": int(x.shape[1]),
            "clip_length": clip_length,
            "unit_seconds": unit,
            "evaluation": "leave-one-fold-out" if task.evaluation == "folds" else "split",
            "embed_seconds": round(embed_seconds, 2),
            "probe_seconds": round(time.perf_counter() - started, 2),
            "scores": result["scores"],
            **extra,
        })
    return results


def evaluate_tasks(embedding_model, tasks, **kwargs):
    """Runs `run_task` on each task; returns the results DataFrame."""
    rows = []
    for task in tasks:
        rows.extend(run_task(embedding_model, task, **kwargs))
    return results_frame(rows)
