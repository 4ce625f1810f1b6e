"""Scores a model with heareval, the HEAR 2021 evaluation kit, on our tasks.

    python tools/hear_eval.py --model runs/mine --tasks bench/ --output hear_eval/ [--grid faster] [--probe]

1. builds `.venv-heareval` once (heareval and its pins over the project's venv:
   `keras_audio_ssl_tools/heareval_env.py` says why and how);
2. writes the tasks as HEAR task folders in `<output>/tasks/`
   (`keras_audio_ssl.hear.task_folders`; `hear:PATH` folders are used as they are);
3. runs `heareval.embeddings.runner keras_audio_ssl.hear --model MODEL` on each task;
4. runs heareval's predictions (`tools/heareval_predictions.py`: its runner with
   the Lightning 1.9 fix) and prints its test scores, also written to
   `<output>/scores.json`.

`--probe` also scores each task folder with our own linear probe
(`python -m keras_audio_ssl.evaluation --tasks hear:FOLDER`), printed beside
heareval's. Embeddings are kept per model (`<output>/embeddings/<model>-<hash>/`)
and reused by a later run with the same model; predictions are always redone.
`--tasks-only` stops after step 2 (no environment needed): the folders are then
scored by our probe with `python -m keras_audio_ssl.evaluation --tasks hear:FOLDER`.
Each step's output goes to `<output>/logs/`. Exit codes: 0 done, 1 a heareval
run failed (the end of its log is shown), 2 bad arguments.
"""

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from keras_audio_ssl_tools import heareval_env  # noqa: E402  (TensorFlow-free: bad arguments fail fast)

MODULE = "keras_audio_ssl.hear"
GRIDS = ("default", "fast", "faster")


def build_parser():
    parser = argparse.ArgumentParser(prog="python tools/hear_eval.py", description=__doc__.split("\n")[0])
    parser.add_argument("--model", help="run directory or embedding .keras file (heareval passes it as a path)")
    parser.add_argument("--tasks", nargs="+", help="offline benchmark folders, path,label,split CSVs, events CSVs, "
                                                   "tfds:NAME and/or HEAR task folders (hear:PATH)")
    parser.add_argument("--output", default="hear_eval", help="working folder (default: hear_eval)")
    parser.add_argument("--only", default=None, help="comma-separated task names to keep (default: all)")
    parser.add_argument("--grid", default="default", help=f"heareval's hyper-parameter grid: {', '.join(GRIDS)} "
                                                          "(default: default, HEAR's)")
    parser.add_argument("--grid-points", default="8", help="grid points heareval tries (default: 8)")
    parser.add_argument("--hop-ms", default=None, help="load_model's hop_ms for event tasks (default: its own, 50)")
    parser.add_argument("--sample-duration", default=None,
                        help="seconds every clip is padded or trimmed to (default: as they are)")
    parser.add_argument("--probe", action="store_true", help="also score each task folder with our linear probe")
    parser.add_argument("--probe-runs", default="3", help="--probe: probe runs (default: 3)")
    parser.add_argument("--venv", default=heareval_env.default_venv(),
                        help=f"heareval's environment (default: ${heareval_env.VENV_ENV}, else .venv-heareval in the "
                             "checkout)")
    parser.add_argument("--setup-only", action="store_true", help="only build the environment")
    parser.add_argument("--tasks-only", action="store_true",
                        help="only write the HEAR task folders to <output>/tasks (no environment, no --model)")
    return parser


def _positive(args, name, kind):
    value = getattr(args, name)
    if value is None:
        return None
    try:
        number = kind(value)
    except ValueError:
        number = None
    if number is None or not number > 0:
        raise ValueError(f"--{name.replace('_', '-')} must be a positive number. Received: {value!r}")
    return number


def check_args(args):
    """Raises ValueError (one line, naming the argument) for bad arguments; returns the parsed numbers."""
    numbers = {"grid_points": _positive(args, "grid_points", int), "hop_ms": _positive(args, "hop_ms", float),
               "sample_duration": _positive(args, "sample_duration", float),
               "probe_runs": _positive(args, "probe_runs", int)}
    if args.setup_only:
        return numbers
    if not args.tasks or not (args.model or args.tasks_only):
        raise ValueError(f"--model and --tasks are required (--tasks alone with --tasks-only, neither with "
                         f"--setup-only). Received: model={args.model!r}, tasks={args.tasks!r}")
    if args.model and not os.path.exists(args.model):
        raise ValueError(f"--model not found: {args.model} (a run directory or an embedding .keras file). "
                         f"Received: {args.model!r}")
    if args.grid not in GRIDS:
        raise ValueError(f"--grid must be one of {', '.join(GRIDS)}. Received: {args.grid!r}")
    for source in args.tasks:
        path = source[len("hear:"):] if source.startswith("hear:") else source
        if not source.startswith("tfds:") and not os.path.exists(path):
            raise ValueError(f"--tasks: not found: {path}. Received: {source!r}")
    if os.path.isfile(args.output):
        raise ValueError(f"--output is a file, not a folder. Received: {args.output!r}")
    return numbers


def _model_key(model):
    """`<name>-<hash of path and modification time>`: embeddings of another model never mix in."""
    model = os.path.abspath(model)
    keras_file = os.path.join(model, "embedding_model.keras") if os.path.isdir(model) else model
    stamp = os.stat(keras_file).st_mtime_ns if os.path.exists(keras_file) else 0
    digest = hashlib.sha1(f"{model}:{stamp}".encode()).hexdigest()[:8]
    return f"{os.path.splitext(os.path.basename(model.rstrip(os.sep)))[0]}-{digest}"


def _embedding_folder(options):
    """heareval's embeddings folder: the module's name, then `-key=value` per option, slugified (python-slugify's
    lower-case, dash-separated form)."""
    def slug(text):
        return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")

    return MODULE + "".join(f"-{slug(k)}={slug(v)}" for k, v in options.items())


def _link_tasks(folders, tasks_dir):
    """heareval reads one tasks folder: task folders written elsewhere (hear:PATH) are linked into it."""
    names = []
    for folder in folders:
        name = os.path.basename(folder.rstrip(os.sep))
        target = os.path.join(tasks_dir, name)
        if os.path.abspath(folder) != os.path.abspath(target):
            if os.path.islink(target):
                os.remove(target)
            os.symlink(os.path.abspath(folder), target)
        names.append(name)
    return names


def _run(command, what, cwd, log_name):
    """Runs one step with its output in `<output>/logs/<log_name>.log` (Lightning prints profiler tables of
    hundreds of lines); on failure its last lines are shown. Starts in the output folder, so heareval's
    Lightning logs land there, not in the caller's folder."""
    log = os.path.join(cwd, "logs", f"{log_name}.log")
    os.makedirs(os.path.dirname(log), exist_ok=True)
    print(f"[hear-eval] {what} (log: {log})", flush=True)
    with open(log, "w") as f:
        proc = subprocess.run(command, env=heareval_env.run_env(REPO), cwd=cwd, stdout=f, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        with open(log) as f:
            print("".join(f.readlines()[-40:]), file=sys.stderr, flush=True)
        raise RuntimeError(f"{what} failed (exit {proc.returncode}); the end of {log} is above")


def _heareval_scores(task_dir):
    with open(os.path.join(task_dir, "task_metadata.json")) as f:
        metadata = json.load(f)
    with open(os.path.join(task_dir, "test.predicted-scores.json")) as f:
        scores = json.load(f)
    found = {}
    for metric in metadata["evaluation"]:
        if "aggregated_scores" in scores:  # k-fold: the mean over the test folds
            found[metric] = scores["aggregated_scores"].get(f"test_{metric}_mean")
        else:
            found[metric] = scores["test"].get(f"test_{metric}")
    return metadata, found


def _probe_score(folder, event, model, output, runs):
    """Our linear probe's (metric, score) on one HEAR task folder, from `python -m keras_audio_ssl.evaluation`."""
    import pandas as pd

    out = os.path.join(output, "probe", os.path.basename(folder))
    command = [sys.executable, "-m", "keras_audio_ssl.evaluation", "--model", model, "--tasks", f"hear:{folder}",
               "--output", out, "--runs", str(runs), *(["--task", "sed"] if event else [])]
    _run(command, f"our probe: {os.path.basename(folder)}", output, f"{os.path.basename(folder)}.probe")
    row = pd.read_csv(os.path.join(out, "results.csv")).iloc[0]
    return row["metric"], float(row["score"])


def evaluate(args, numbers):
    from keras_audio_ssl.hear.task_folders import write_hear_tasks

    python = None if args.tasks_only else heareval_env.ensure_venv(args.venv)
    if args.setup_only:
        return []
    output = os.path.abspath(args.output)
    tasks_dir = os.path.join(output, "tasks")
    print("[hear-eval] writing the HEAR task folders", flush=True)
    folders = write_hear_tasks(args.tasks, tasks_dir, names=args.only.split(",") if args.only else None,
                               sample_duration=numbers["sample_duration"])
    names = _link_tasks(folders, tasks_dir)
    if args.tasks_only:
        print("\n".join(f"[hear-eval] {os.path.join(tasks_dir, name)}" for name in names), flush=True)
        return []
    embeddings_dir = os.path.join(output, "embeddings", _model_key(args.model))
    options = json.dumps({"hop_ms": numbers["hop_ms"]} if numbers["hop_ms"] else {})
    rows = []
    for i, name in enumerate(names, 1):
        _run([python, "-m", "heareval.embeddings.runner", MODULE, "--model", os.path.abspath(args.model),
              "--tasks-dir", tasks_dir, "--task", name, "--embeddings-dir", embeddings_dir, "--model-options", options],
             f"task {i}/{len(names)} {name}: heareval embeddings", output, f"{name}.embeddings")
        task_dir = os.path.join(embeddings_dir, _embedding_folder(json.loads(options)), name)
        if not os.path.isdir(task_dir):
            raise RuntimeError(f"heareval's embeddings of {name} are not where expected: {task_dir}")
        for stale in ("prediction-done.json", "test.predicted-scores.json"):
            if os.path.exists(os.path.join(task_dir, stale)):
                os.remove(os.path.join(task_dir, stale))  # predictions are redone: the grid may differ
        _run([python, os.path.join(REPO, "tools", "heareval_predictions.py"), task_dir, "--grid", args.grid,
              "--grid-points", str(numbers["grid_points"])], f"task {i}/{len(names)} {name}: heareval predictions",
             output, f"{name}.predictions")
        metadata, scores = _heareval_scores(task_dir)
        row = {"task": name, "embedding_type": metadata["embedding_type"], "heareval": scores}
        if args.probe:
            folder = os.path.join(tasks_dir, name)
            metric, score = _probe_score(os.path.realpath(folder), metadata["embedding_type"] == "event",
                                         os.path.abspath(args.model), output, numbers["probe_runs"])
            row["our_probe"] = {metric: score}
        rows.append(row)
    from keras_audio_ssl.atomic_write import write_json

    write_json(os.path.join(output, "scores.json"), rows)
    return rows


def _format(value):
    return "n/a" if value is None else f"{value:.4f}"


def print_table(rows):
    header = "| task | heareval score | our linear probe |"
    lines = [header, "| --- | --- | --- |"]
    for row in rows:
        heareval = ", ".join(f"{k} {_format(v)}" for k, v in row["heareval"].items())
        ours = ", ".join(f"{k} {_format(v)}" for k, v in row.get("our_probe", {}).items()) or "-"
        lines.append(f"| {row['task']} | {heareval} | {ours} |")
    print("\n".join(lines), flush=True)


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        numbers = check_args(args)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        rows = evaluate(args, numbers)
    except ValueError as error:  # a task source the writer cannot read
        print(f"error: {str(error).splitlines()[0]}", file=sys.stderr)
        return 2
    except RuntimeError as error:  # the environment or a heareval run failed
        print(f"error: {error}", file=sys.stderr)
        return 1
    if rows:
        print_table(rows)
        print(f"\nwrote {os.path.join(os.path.abspath(args.output), 'scores.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
