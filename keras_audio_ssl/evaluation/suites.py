"""Named task suites with per-group averages: HARES (Wang et al., 2022) and the offline benchmark.

HARES ("Towards learning universal audio representations", ICASSP 2022) has 12
tasks in three groups. The list is the task table of the README published with the
paper's Slowfast NFNet code (deepmind-research). Summaries naming three environment
tasks (tagging, animal sound, acoustic scenes) count 11; the twelfth is ESC-50 (2k
clips, 50 classes, filed there under acoustic scenes). The class counts below are
that table's. Every task is scored with a linear layer on
the frozen model except AudioSet, which gets a one-hidden-layer MLP (`mlp_probe`,
512 ReLU units: the width is not stated in the parts of the paper read here).
Metrics: mAP for the two multi-label tagging tasks (AudioSet, MagnaTagATune),
accuracy for the others; the MagnaTagATune mAP is the most likely reading, not
confirmed from the paper's results table.

| task | group | folder under --data-root | protocol | metric |
| :--- | :--- | :--- | :--- | :--- |
| audioset | environment | audioset/ | mlp | mAP (527) |
| birdsong | environment | birdsong/ | linear | accuracy (2) |
| tut18 | environment | tut18/ | linear | accuracy (10) |
| esc50 | environment | esc50/ | linear, 5 folds | accuracy (50) |
| spcv1 | speech | speech_commands_v1/ | linear | accuracy (12) |
| spcv2 | speech | speech_commands_v2/ | linear | accuracy (35) |
| fluent_speech_commands | speech | fluent_speech_commands/ | linear | accuracy (31 intents) |
| voxforge | speech | voxforge/ | linear | accuracy (6) |
| voxceleb1 | speech | voxceleb1/ | linear | accuracy (1,251) |
| nsynth_instrument | music | nsynth/ | linear | accuracy (11) |
| nsynth_pitch | music | nsynth/ | linear | accuracy (128 MIDI pitches; + pitch/chroma accuracy) |
| magnatagatune | music | magnatagatune/ | linear | mAP (50) |

Known differences from the paper: HARES evaluates Birdsong and TUT18 on splits of
their original training data made by Tagliasacchi et al. (2020), which are not
distributed; here TUT18 uses the official development fold 1 and Birdsong a fixed
hashed 80/10/10 split. AudioSet trains on the balanced segments by default (HARES:
~1.9M segments; `downstream.audioset(root, train="full")`).

The table has one row per suite task (missing ones with `status` "missing"),
then one `average (<group>)` row per group, the mean score of that group's
evaluated tasks, and `average (all)`, the mean over all evaluated tasks (not of
the group averages). HARES reports per-task scores and an average; that it is the
plain task mean is this package's reading. Accuracy and mAP are averaged alike,
in [0, 1].

The offline benchmark (`tools/make_offline_benchmark.py`) as a suite: instrument and
pitch are music, keywords and language speech, environmental and sed environment;
sed is scored by `evaluate_sed` (onset F-measure), the others by the linear probe
(pitch with CREPE's pitch / chroma accuracy beside it).
"""

import dataclasses
import functools
import json
import os
import time

import numpy as np

from keras_audio_ssl.data import downstream
from keras_audio_ssl.evaluation.results import results_frame

GROUPS = ("environment", "speech", "music")


@dataclasses.dataclass(frozen=True)
class SuiteTask:
    """One row of a suite.

    Attributes:
        name: task name in the table.
        group: "environment", "speech" or "music".
        folder: where its data sits under the suite's root (a folder for HARES, a
            manifest for the offline benchmark).
        read: `read(path) -> DownstreamDataset` (or `SoundEventDataset` for "sed").
        protocol: "linear" or "mlp" (`run_task`), or "sed" (`evaluate_sed`).
        metric: what `score` is.
        hint: where to get the data and how to lay it out.
    """

    name: str
    group: str
    folder: str
    read: object
    protocol: str
    metric: str
    hint: str


def _voxforge_folder(folder):
    for name in ("voxforge.csv", "manifest.csv"):
        if os.path.isfile(os.path.join(folder, name)):
            return downstream.voxforge(os.path.join(folder, name))
    raise ValueError(f"VoxForge needs a manifest {os.path.join(folder, 'voxforge.csv')} (path,label,split). "
                     f"Received: folder={folder}")


HARES_TASKS = (
    SuiteTask("audioset", "environment", "audioset", downstream.audioset, "mlp", "mAP",
              "research.google.com/audioset: metadata/{class_labels_indices,balanced_train_segments,eval_segments}.csv "
              "+ audios/{balanced_train_segments,eval_segments}/Y<YTID>.wav (PANNs' download layout)"),
    SuiteTask("birdsong", "environment", "birdsong", downstream.bird_audio_detection, "linear", "accuracy",
              "DCASE 2018 task 3 (bird audio detection) development sets: the label CSVs (itemid,datasetid,hasbird) "
              "at the top, each wav archive extracted into <datasetid>/wav/"),
    SuiteTask("tut18", "environment", "tut18", downstream.tut2018, "linear", "accuracy",
              "DCASE 2018 task 1A: the contents of TUT-urban-acoustic-scenes-2018-development "
              "(meta.csv, evaluation_setup/fold1_{train,evaluate}.txt, audio/)"),
    SuiteTask("esc50", "environment", "esc50", downstream.esc50, "linear", "accuracy",
              "github.com/karolpiczak/ESC-50: the contents of ESC-50-master (meta/esc50.csv, audio/)"),
    SuiteTask("spcv1", "speech", "speech_commands_v1", downstream.speech_commands_v1, "linear", "accuracy",
              "speech_commands_v0.01.tar.gz extracted here (<word>/*.wav, validation_list.txt, testing_list.txt, "
              "_background_noise_/)"),
    SuiteTask("spcv2", "speech", "speech_commands_v2", downstream.speech_commands_v2, "linear", "accuracy",
              "speech_commands_v0.02.tar.gz extracted here (<word>/*.wav, validation_list.txt, testing_list.txt)"),
    SuiteTask("fluent_speech_commands", "speech", "fluent_speech_commands", downstream.fluent_speech_commands,
              "linear", "accuracy",
              "fluent.ai/research/fluent-speech-commands: the contents of fluent_speech_commands_dataset "
              "(data/{train,valid,test}_data.csv, wavs/)"),
    SuiteTask("voxforge", "speech", "voxforge", _voxforge_folder, "linear", "accuracy",
              "voxforge.org (6 languages, as tensorflow_datasets' voxforge): a manifest voxforge.csv "
              "(path,label,split; paths relative to it) and the clips"),
    SuiteTask("voxceleb1", "speech", "voxceleb1", downstream.voxceleb1, "linear", "accuracy",
              "VoxCeleb1 identification: iden_split.txt + wav/idXXXXX/<video>/<n>.wav"),
    SuiteTask("nsynth_instrument", "music", "nsynth", downstream.nsynth, "linear", "accuracy",
              "magenta.tensorflow.org/datasets/nsynth: nsynth-{train,valid,test}/ (examples.json + audio/), "
              "shared with nsynth_pitch"),
    SuiteTask("nsynth_pitch", "music", "nsynth", functools.partial(downstream.nsynth, target="pitch"), "linear",
              "accuracy", "the same nsynth/ folder as nsynth_instrument"),
    SuiteTask("magnatagatune", "music", "magnatagatune", downstream.magnatagatune, "linear", "mAP",
              "mirg.city.ac.uk/codeapps/the-magnatagatune-dataset: annotations_final.csv + the mp3 folders 0-9, a-f "
              "(cat mp3.zip.* > mp3_all.zip && unzip mp3_all.zip)"),
)

_OFFLINE_HINT = "tools/make_offline_benchmark.py --output <dir> --tasks {}"
OFFLINE_TASKS = (
    SuiteTask("environmental", "environment", "environmental.csv", downstream.csv_manifest, "linear", "accuracy",
              _OFFLINE_HINT.format("environmental")),
    SuiteTask("sed", "environment", "sed.csv", downstream.events_csv, "sed", "onset_f_measure",
              _OFFLINE_HINT.format("sed")),
    SuiteTask("keywords", "speech", "keywords.csv", downstream.csv_manifest, "linear", "accuracy",
              _OFFLINE_HINT.format("keywords")),
    SuiteTask("language", "speech", "language.csv", downstream.csv_manifest, "linear", "accuracy",
              _OFFLINE_HINT.format("language")),
    SuiteTask("instrument", "music", "instrument.csv", downstream.csv_manifest, "linear", "accuracy",
              _OFFLINE_HINT.format("instrument")),
    SuiteTask("pitch", "music", "pitch.csv", downstream.csv_manifest, "linear", "accuracy",
              _OFFLINE_HINT.format("instrument (pitch is built from its renders)")),
)

SUITES = {"hares": HARES_TASKS, "offline": OFFLINE_TASKS}


def suite_tasks(suite):
    if suite not in SUITES:
        raise ValueError(f"Unknown suite {suite!r}; expected one of {sorted(SUITES)}. Received: suite={suite!r}")
    return SUITES[suite]


def locate_tasks(suite, root):
    """Splits a suite's tasks into `(present, missing)`, each a list of `(SuiteTask, path)`.

    HARES: a task is present when its folder exists under `root`. The offline
    benchmark: `root` must hold `benchmark.json`; a task is present when it lists it
    (its `manifest`) and the manifest exists.
    """
    tasks = suite_tasks(suite)
    if not os.path.isdir(root):
        raise ValueError(f"The {suite} data root is not a folder: {root}. Received: root={root}")
    listed = None
    if suite == "offline":
        description = os.path.join(root, "benchmark.json")
        if not os.path.isfile(description):
            raise ValueError(f"{root} is not an offline benchmark (no benchmark.json); build one with "
                             f"tools/make_offline_benchmark.py --output {root}. Received: root={root}")
        with open(description) as f:
            listed = json.load(f).get("tasks", {})
    present, missing = [], []
    for task in tasks:
        if listed is None:
            path = os.path.join(root, task.folder)
            found = os.path.isdir(path)
        else:
            path = os.path.join(root, listed.get(task.name, {}).get("manifest", task.folder))
            found = task.name in listed and os.path.isfile(path)
        (present if found else missing).append((task, path))
    return present, missing


def missing_message(suite, root, missing):
    """Lines naming each missing task, the folder it needs and the hint."""
    lines = [f"{len(missing)} {suite} task(s) have no data under {root}:"]
    for task, path in missing:
        lines.append(f"  {task.name} ({task.group}): {path} <- {task.hint}")
    return "\n".join(lines)


def suite_table(rows, suite):
    """The suite's results in suite order, then per-group and overall averages of `score`.

    Args:
        rows: result dicts with at least `task`, `group`, `score` and `status`
            ("ok", "missing" or an error message).
        suite: the suite name (for the task order).
    """
    order = {task.name: i for i, task in enumerate(suite_tasks(suite))}
    rows = sorted(rows, key=lambda r: (GROUPS.index(r["group"]), order.get(r["task"], len(order))))
    evaluated = [r for r in rows if r.get("status") == "ok"]
    averages = []
    for group in GROUPS:
        scores = [r["score"] for r in evaluated if r["group"] == group]
        total = sum(1 for r in rows if r["group"] == group)
        averages.append({"group": group, "task": f"average ({group})", "metric": "mean score",
                         "score": float(np.mean(scores)) if scores else float("nan"),
                         "status": f"{len(scores)}/{total} tasks"})
    averages.append({"group": "all", "task": "average (all)", "metric": "mean score",
                     "score": float(np.mean([r["score"] for r in evaluated])) if evaluated else float("nan"),
                     "status": f"{len(evaluated)}/{len(rows)} tasks"})
    table = results_frame(rows + averages)
    for column in ("runs", "n_train", "n_test", "n_classes", "embedding_dim"):
        if column in table.columns:  # counts stay integers beside the empty cells of missing tasks
            table[column] = table[column].astype("Int64")
    first = [c for c in ("group", "task", "protocol", "metric", "score", "score_std", "status") if c in table.columns]
    return table[first + [c for c in table.columns if c not in first]]


def evaluate_suite(embedding_model, suite, root, *, runs=10, seed=0, normalize_with="downstream", batch_size=32,
                   clip_length="unit", max_seconds=None, probe_kwargs=None, sed_kwargs=None, log=print):
    """Evaluates every task of `suite` whose data is under `root`.

    Args:
        embedding_model: waveform -> embedding model.
        suite: "hares" or "offline".
        root: HARES: the folder holding one folder per task (`HARES_TASKS`); the
            offline benchmark: its folder (with `benchmark.json`).
        runs, seed, normalize_with, batch_size, clip_length, max_seconds: as in
            `run_task` (each task's unit length is its own).
        probe_kwargs: for the linear / MLP probe (`epochs`, `patience`,
            `learning_rate`, `hidden_units`).
        sed_kwargs: for `evaluate_sed` (`epochs`, `learning_rate`, `batch_size`,
            `dropout`, `threshold`, `median_seconds`).
        log: progress lines go here (`print`; `None`: silent).

    Returns:
        `(table, missing, failed)`: the `suite_table` DataFrame, the
        `(SuiteTask, path)` pairs without data and the `(SuiteTask, message)` pairs
        of present tasks that could not be read or evaluated (a `ValueError` or
        missing file; their row says so).

    Raises:
        ValueError: when no task of the suite has data under `root` (naming the
            folders it expects).
    """
    from keras_audio_ssl.evaluation.sed_probe import evaluate_sed
    from keras_audio_ssl.evaluation.tasks import run_task

    verbose = log is not None
    log = log or (lambda *args, **kwargs: None)
    present, missing = locate_tasks(suite, root)
    if not present:
        raise ValueError(f"No {suite} task found. " + missing_message(suite, root, missing))
    if missing:
        log(missing_message(suite, root, missing), flush=True)
    rows, failed = [], []
    for i, (task, path) in enumerate(present, 1):
        started = time.perf_counter()
        log(f"[{suite}] {i}/{len(present)} {task.name} ({task.group}, {task.protocol}): reading {path}", flush=True)
        try:
            dataset = task.read(path)
            dataset.name = task.name
            if task.protocol == "sed":
                log(f"[{suite}] {task.name}: {len(dataset.clips)} clips, {len(dataset.classes)} classes", flush=True)
                result = evaluate_sed(embedding_model, dataset, runs=runs, seed=seed, normalize_with=normalize_with,
                                      verbose=verbose, **(sed_kwargs or {}))
            else:
                log(f"[{suite}] {task.name}: {len(dataset)} clips, {len(dataset.classes)} classes; embedding",
                    flush=True)
                (result,) = run_task(embedding_model, dataset, protocols=(task.protocol,), runs=runs, seed=seed,
                                     normalize_with=normalize_with, batch_size=batch_size, clip_length=clip_length,
                                     max_seconds=max_seconds, **(probe_kwargs or {}))
        except (ValueError, FileNotFoundError) as error:
            failed.append((task, str(error)))
            log(f"[{suite}] {task.name}: error: {error}", flush=True)
            rows.append({"group": task.group, "task": task.name, "protocol": task.protocol, "metric": task.metric,
                         "status": f"error: {error}", "data": path})
            continue
        rows.append({**result, "group": task.group, "status": "ok", "data": path})
        log(f"[{suite}] {task.name}: {result['metric']} {result['score']:.4f} +- {result['score_std']:.4f} "
            f"({time.perf_counter() - started:.1f} s)", flush=True)
    for task, path in missing:
        rows.append({"group": task.group, "task": task.name, "protocol": task.protocol, "metric": task.metric,
                     "status": "missing", "data": path})
    return suite_table(rows, suite), missing, failed


def suite_summary(table):
    """The average rows of a suite table (`group`, `score`, `status`), for printing."""
    return table[table["task"].str.startswith("average (")][["group", "score", "status"]].reset_index(drop=True)
