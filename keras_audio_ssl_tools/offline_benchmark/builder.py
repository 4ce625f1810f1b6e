"""Builds the offline benchmark: plans jobs per task, runs them in parallel,
writes manifests, provenance, benchmark.json and the README."""

import json
import multiprocessing
import os
import time

import pandas as pd

from keras_audio_ssl_tools.offline_benchmark import clip_io
from keras_audio_ssl_tools.offline_benchmark import environmental
from keras_audio_ssl_tools.offline_benchmark import instrument
from keras_audio_ssl_tools.offline_benchmark import pretrain_pool
from keras_audio_ssl_tools.offline_benchmark import readme
from keras_audio_ssl_tools.offline_benchmark import requirements
from keras_audio_ssl_tools.offline_benchmark import sed_scenes
from keras_audio_ssl_tools.offline_benchmark import speech

SIZES = ("tiny", "small", "full")
# Forked workers inherit the already imported modules; spawned ones re-import this
# TensorFlow-free package (never `keras_audio_ssl`, whose __init__ imports TensorFlow).
_START_METHOD = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
MANIFEST_COLUMNS = ["path", "label", "split", "fold", "group"]

_PLANNERS = {
    "instrument": instrument.plan_jobs,
    "keywords": speech.plan_keyword_jobs,
    "language": speech.plan_language_jobs,
    "environmental": environmental.plan_jobs,
    "sed": sed_scenes.plan_jobs,
    "pretrain_pool": pretrain_pool.plan_jobs,
}
_RUNNERS = {
    "instrument": instrument.run_job,
    "keywords": speech.run_keyword_job,
    "language": speech.run_language_job,
    "environmental": environmental.run_job,
    "sed": sed_scenes.run_job,
    "pool_speech": pretrain_pool.run_speech_job,
    "pool_music": pretrain_pool.run_music_job,
}

TASK_INFO = {
    "instrument": dict(type="multiclass", split_rule="by soundfont: FluidR3_GM train, MuseScore_General test"),
    "pitch": dict(type="multiclass", split_rule="by soundfont (same renders as instrument); label = MIDI note; "
                  "only notes present in both splits"),
    "keywords": dict(type="multiclass", split_rule="by synthesizer voice (25% of voices per engine held out)"),
    "language": dict(type="multiclass", split_rule="by espeak-ng voice variant (25% held out)"),
    "environmental": dict(type="multiclass", split_rule=f"{environmental.N_FOLDS} folds grouped by recording; "
                          "split column: fold 0 = test"),
    "sed": dict(type="sed", split_rule="10-30 s scenes over steady ambient loops (split by file); "
                "events from the environmental recordings, fold-0 groups in test scenes only; EBR -6/0/+6 dB"),
    "pretrain_pool": dict(type="unlabeled", split_rule="all 'pretrain'; disjoint by source file from every test set"),
}


def _run(job):
    kind, kwargs, out_dir = job
    return kind, _RUNNERS[kind](out_dir, **kwargs)


def _manifest(rows, task):
    df = pd.DataFrame(rows)
    columns = sed_scenes.COLUMNS if task == "sed" else MANIFEST_COLUMNS
    cols = [c for c in columns if c in df.columns]
    if task == "sed":
        return df.sort_values(["path", "onset"]).reset_index(drop=True), cols
    return df.sort_values("path").reset_index(drop=True), cols


def _pitch_rows(rows):
    """Pitch task: only MIDI notes with clips in both the train and the test font."""
    df = pd.DataFrame(rows)
    both = df.groupby("pitch")["split"].nunique()
    keep = set(both[both == 2].index)
    out = df[df["pitch"].isin(keep)].copy()
    out["label"] = out["pitch"].astype(int)
    return out.to_dict("records")


def check_disjoint(pool_rows, labelled_rows_by_task):
    """Raises if a pool clip comes from a source file (by path or SHA-1) that a
    labelled task uses, or if a pool clip's audio equals a labelled clip's."""
    pool_sources = {r["source"] for r in pool_rows} | {r["source_sha1"] for r in pool_rows}
    for task, rows in labelled_rows_by_task.items():
        used = {r.get("source") for r in rows} | {r.get("source_sha1") for r in rows if r.get("source_sha1")}
        used |= {r.get("noise") for r in rows if r.get("noise")}
        overlap = pool_sources & (used - {None})
        if overlap:
            raise AssertionError(f"Pretraining pool shares sources with task {task}: {sorted(overlap)[:5]}")


def build_offline_benchmark(output, size="small", workers=2, seed=0, tasks=None, skip_missing=False,
                            verbose=True):
    """Builds the offline benchmark into `output` and returns its description dict.

    Args:
        output: output folder (created; existing clips are kept and reused).
        size: "tiny" (a handful of clips per class, for CI), "small" or "full".
        workers: worker processes.
        seed: seed for every random choice; equal seeds give equal benchmarks.
        tasks: subset of `requirements.TASKS` (default all).
        skip_missing: build only the tasks whose Debian packages are present
            instead of raising `MissingPackagesError`.
    """
    if size not in SIZES:
        raise ValueError(f"size must be one of {SIZES}. Received: size={size}")
    if workers < 1:
        raise ValueError(f"workers must be >= 1. Received: workers={workers}")
    tasks = list(tasks or requirements.TASKS)
    unknown = [t for t in tasks if t not in requirements.TASKS]
    if unknown:
        raise ValueError(f"Unknown tasks {unknown}; known: {list(requirements.TASKS)}. Received: tasks={tasks}")
    missing = requirements.missing_by_task(tasks)
    if missing:
        message = requirements.format_missing_message(missing)
        if not skip_missing:
            raise requirements.MissingPackagesError(message, missing)
        print(message + "\nSkipping: " + ", ".join(missing))
        tasks = [t for t in tasks if t not in missing]
    os.makedirs(output, exist_ok=True)
    start, cpu_start = time.time(), _cpu_seconds()
    jobs = []
    for task in tasks:
        for kind, kwargs in _PLANNERS[task](size, seed):
            jobs.append((kind, kwargs, output))
    # Longest jobs (fluidsynth renders) first keeps all workers busy to the end.
    jobs.sort(key=lambda j: j[0] != "instrument")
    rows = {}
    if workers == 1:
        results = map(_run, jobs)
    else:
        from keras_audio_ssl_tools.processes import worker_pool

        pool = worker_pool(workers, start_method=_START_METHOD)
        results = pool.imap_unordered(_run, jobs)
    for i, (kind, job_rows) in enumerate(results):
        task = "pretrain_pool" if kind.startswith("pool_") else kind
        rows.setdefault(task, []).extend(job_rows)
        if verbose and (i + 1) % max(1, len(jobs) // 10) == 0:
            print(f"[offline-bench] {i + 1}/{len(jobs)} jobs, {time.time() - start:.0f} s", flush=True)
    if workers > 1:
        pool.close()
        pool.join()
    if "instrument" in rows:
        rows["pitch"] = _pitch_rows(rows["instrument"])
    if "pretrain_pool" in rows:
        check_disjoint(rows["pretrain_pool"], {t: r for t, r in rows.items() if t != "pretrain_pool"})

    description = {"sample_rate": clip_io.SAMPLE_RATE, "size": size, "seed": seed, "tasks": {}}
    os.makedirs(os.path.join(output, "provenance"), exist_ok=True)
    for task in [t for t in TASK_INFO if t in rows]:
        df, cols = _manifest(rows[task], task)
        df[cols].to_csv(os.path.join(output, f"{task}.csv"), index=False)
        df.to_csv(os.path.join(output, "provenance", f"{task}.csv"), index=False)
        info = dict(TASK_INFO[task], manifest=f"{task}.csv")
        # Counted in clips (a SED scene has one row per event).
        clips = df.drop_duplicates("path")
        info["counts"] = {s: int(n) for s, n in clips["split"].value_counts().sort_index().items()}
        if task == "sed":
            info["events"] = int(df["label"].notna().sum())
        if task != "pretrain_pool":
            labels = sorted(df["label"].dropna().unique(), key=str)
            info["num_classes"] = len(labels)
            info["classes"] = [int(x) if task == "pitch" else str(x) for x in labels]
            info["num_groups"] = int(df["group"].nunique())
        if "fold" in df:
            info["folds"] = sorted(int(f) for f in df["fold"].unique())
        description["tasks"][task] = info
    elapsed, cpu = time.time() - start, _cpu_seconds() - cpu_start
    description["generation"] = {"wall_seconds": round(elapsed, 1), "cpu_seconds": round(cpu, 1),
                                 "workers": workers, "jobs": len(jobs)}
    with open(os.path.join(output, "benchmark.json"), "w") as f:
        json.dump(description, f, indent=2)
    with open(os.path.join(output, "README.md"), "w") as f:
        f.write(readme.render(description))
    if verbose:
        print(f"[offline-bench] done in {elapsed:.0f} s wall, {cpu:.0f} CPU-s: "
              + ", ".join(f"{t}={sum(i['counts'].values())}" for t, i in description["tasks"].items()))
    return description


def _cpu_seconds():
    """CPU time of this process and its finished children (the workers)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system
