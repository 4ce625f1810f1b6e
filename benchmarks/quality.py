"""Quality benchmark: methods pretrained on the offline pool vs a random encoder, at one budget.

    python benchmarks/quality.py --benchmark DIR [--methods byol-a cola "cola'" "cola'+"]
        [--build-size small] [--epochs 100 --minutes 25]
        [--encoder audio_ntt2020] [--feature-d 512] [--batch-size 64] [--pool-clips N] [--probe-runs 10]
        [--clip-length unit|whole]
        [--no-frame-tasks] [--output results/quality]
    python benchmarks/quality.py --quick          # CI-sized: tiny benchmark slice, minutes

1. Uses the offline benchmark in `--benchmark` (built by tools/make_offline_benchmark.py;
   if the folder has no benchmark.json it is built there at `--build-size`).
2. Pretrains each method (`recipes.byola.fit`, `recipes.cola.fit`) on the unlabelled pool (`pretrain_pool.csv`,
   disjoint from every test set) within the budget: at most `--epochs` epochs, and no
   new epoch is started once `--minutes` would be exceeded.
3. Probes every task with the BYOL-A linear protocol (one seeded random crop of the task's
   unit length per clip, normalisation statistics from up to 10,000 random training crops,
   standardised embeddings, one linear layer, early stopping, `--probe-runs` seeds) for
   the pretrained encoder and for the same architecture randomly initialised; then the
   frame-level tasks with the multiple-sampling-strategies protocol (a dropout 0.1 +
   Dense layer, 250 epochs, Adam 1e-4, batch 1024): `sed` (frame embeddings, onset
   F-measure) and `pitch_88` (88-way MIDI pitch, CREPE's pitch accuracy). Those rows
   come after the average, which stays over the linear-protocol tasks.
4. Prints one table (per task and average; mean ± std over probe seeds) with the
   budget, and writes `quality.csv` (one row per task x encoder) and `quality.md`.

A randomly initialised convolutional encoder is a strong baseline on small audio tasks;
the margin is printed as measured, whatever its sign.
"""

import argparse
import json
import os
import sys
import tempfile
import time

import numpy as np
import pandas as pd

from keras_audio_ssl import cpu_info

QUICK = dict(build_size="tiny", epochs=1, minutes=5.0, feature_d=32, batch_size=8, pool_clips=None, probe_runs=2,
             frame_probe_runs=2, probe_epochs=40)


def _TimeBudget(minutes):
    """`recipes.callbacks.TimeBudget` (imported late: `--help` stays fast)."""
    from keras_audio_ssl.recipes.callbacks import TimeBudget

    return TimeBudget(minutes)


def _pool_paths(benchmark, pool_clips, seed):
    pool = pd.read_csv(os.path.join(benchmark, "pretrain_pool.csv"))
    paths = [p if os.path.isabs(p) else os.path.join(benchmark, p) for p in pool["path"]]
    if pool_clips and pool_clips < len(paths):
        rng = np.random.default_rng(seed)
        paths = [paths[i] for i in sorted(rng.choice(len(paths), pool_clips, replace=False))]
    return paths


def _ensure_benchmark(benchmark, build_size, seed):
    if os.path.isfile(os.path.join(benchmark, "benchmark.json")):
        return
    from keras_audio_ssl_tools.offline_benchmark import build_offline_benchmark

    print(f"[quality] building the offline benchmark ({build_size}) in {benchmark}", flush=True)
    build_offline_benchmark(benchmark, size=build_size, workers=os.cpu_count() or 1, seed=seed)


def _task_rows(long, encoders):
    rows = []
    for task, group in long.groupby("task", sort=False):
        by = {r["encoder"]: r for _, r in group.iterrows()}
        row = {"task": task, "metric": group["metric"].iloc[0]}
        for encoder in encoders:
            row[encoder], row[f"{encoder} std"] = by[encoder]["score"], by[encoder]["score_std"]
        rows.append(row)
    return rows


def _summary_table(long, methods, baselines=None):
    """Wide table: task, metric, each method, each random encoder, each method's margin over
    its random encoder (`baselines`: method -> baseline name, default "random"); an average row
    over the linear-protocol tasks, then the frame-level rows."""
    baselines = baselines or {m: "random" for m in methods}
    encoders = [*methods, *dict.fromkeys(baselines[m] for m in methods)]
    linear = long[long["protocol"] == "linear"] if "protocol" in long else long
    rows = _task_rows(linear, encoders)
    # The average's spread: per probe seed, average over tasks; then std over seeds.
    average = {"task": "average", "metric": "mean"}
    for encoder in encoders:
        runs = linear[linear["encoder"] == encoder]["scores"].map(lambda s: [float(v) for v in str(s).split(";")])
        per_seed = np.mean(np.stack(runs.tolist()), axis=0)
        average[encoder] = float(per_seed.mean())
        average[f"{encoder} std"] = float(per_seed.std())
    rows.append(average)
    if len(linear) < len(long):
        rows += _task_rows(long.drop(linear.index), encoders)
    table = pd.DataFrame(rows)
    for method in methods:
        table[_margin(method, methods)] = table[method] - table[baselines[method]]
    return table


def _margin(method, methods):
    return "margin" if len(methods) == 1 else f"{method} margin"


def _pm(table, methods, baselines=None):
    baselines = baselines or {m: "random" for m in methods}
    shown = pd.DataFrame({"task": table["task"], "metric": table["metric"]})
    for encoder in (*methods, *dict.fromkeys(baselines[m] for m in methods)):
        shown[encoder] = [f"{m:.4f} ± {s:.4f}" for m, s in zip(table[encoder], table[f"{encoder} std"])]
    for method in methods:
        shown[_margin(method, methods)] = table[_margin(method, methods)]
    return shown


# Benchmark row -> (registered method, settings on top of the shared budget): the variants the
# README's table compares; every method comes from `keras_audio_ssl.methods` (checked in `run`).
# COLA' is COLA on BYOL-A's encoder, pre-normalisation and learning rate (Niizumi et al. 2021,
# Sec. IV-A6). A variant whose settings name its own `encoder` (and `feature_d`) is compared
# with a random encoder of that architecture and width.
METHODS = {
    "byol-a": ("byola", {}),
    # Niizumi et al. 2023, the preset recipes/byola_v2_audioset.json (one owner for v2's settings).
    "byol-a v2": ("byola", "byola_v2_audioset"),
    "cola": ("cola", {}),
    "cola'": ("cola", {"learning_rate": 3e-4}),
    "cola'+": ("cola", {"learning_rate": 3e-4, "augmentation": "byola"}),
    # 64 mel bands (the paper: 96) so that the one random-init baseline has the same front end.
    "simclr": ("simclr", {"n_mels": 64}),
    "multi-strategy": ("multi_strategy", {}),
    # The paper's ablation: the clip loss alone (COLA's), then with the frame or the pitch loss.
    "multi-strategy clip": ("multi_strategy", {"frame_weight": 0.0, "pitch_weight": 0.0}),
    "multi-strategy clip+frame": ("multi_strategy", {"pitch_weight": 0.0}),
    "multi-strategy clip+pitch": ("multi_strategy", {"frame_weight": 0.0}),
}


def variant_settings(variant):
    """`(method, settings)` of a benchmark row: its settings dict, or those of the preset it names."""
    method, extra = METHODS[variant]
    if isinstance(extra, str):
        from keras_audio_ssl.recipes.presets import load_preset

        extra = load_preset(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "recipes", extra))
        if extra.pop("method", method) != method:
            raise ValueError(f"The preset of {variant!r} is for another method. Received: method={method!r}")
    return method, dict(extra)


def probe_classification(models, tasks, *, probe_runs=10, seed=0, probe_epochs=200, clip_length="unit",
                         max_seconds=None, log_prefix="[quality]"):
    """Linear-probe result rows (one per task x named model, `encoder` = the name),
    every model under the same protocol, crops and probe seeds."""
    from keras_audio_ssl.evaluation import run_task

    rows = []
    for task in tasks:
        for name, model in models.items():
            started_probe = time.time()
            (result,) = run_task(model, task, protocols=("linear",), runs=probe_runs, seed=seed,
                                 normalize_with="downstream", clip_length=clip_length, max_seconds=max_seconds,
                                 epochs=probe_epochs)
            result["encoder"] = name
            rows.append(result)
            print(f"{log_prefix} {task.name:14s} {name:7s} {result['metric']} {result['score']:.4f} "
                  f"± {result['score_std']:.4f} ({time.time() - started_probe:.0f} s)", flush=True)
    return rows


def random_embedding_model(encoder, feature_d, stats, seed, initialization="keras", mel_scale="slaney"):
    """The random-init baseline: an untrained `encoder` (seeded with `seed + 1`, the same weights
    for every run) behind the pool's pre-normalisation `stats` and the given mel scale."""
    import keras

    from keras_audio_ssl.audio import LogMelSpectrogram
    from keras_audio_ssl.encoders import build_embedding_model
    from keras_audio_ssl.layers.initialization import apply_initialization
    from keras_audio_ssl.recipes.run import build_encoder

    keras.utils.set_random_seed(seed + 1)
    untrained = build_encoder(encoder, feature_d)
    apply_initialization(initialization, [untrained], seed=seed + 1)
    front_end = None if mel_scale == "slaney" else LogMelSpectrogram(n_mels=untrained.n_mels, mel_scale=mel_scale)
    return build_embedding_model(untrained, mean=stats["mean"], std=stats["std"], front_end=front_end)


def run(benchmark=None, *, output="results/quality", methods=("byol-a",), build_size="small", epochs=100,
        minutes=25.0, feature_d=512, batch_size=64, pool_clips=None, probe_runs=10, frame_probe_runs=3,
        probe_epochs=200, clip_length="unit", max_seconds=None, seed=0, verbose=2, frame_tasks=True,
        encoder="audio_ntt2020"):
    import tensorflow as tf

    from keras_audio_ssl.encoders import load_embedding_model
    from keras_audio_ssl.evaluation import evaluate_pitch
    from keras_audio_ssl.evaluation import evaluate_sed
    from keras_audio_ssl.evaluation import load_pitch_tasks
    from keras_audio_ssl.evaluation import load_sound_event_tasks
    from keras_audio_ssl.evaluation import load_tasks
    from keras_audio_ssl.evaluation import results_frame
    from keras_audio_ssl.evaluation import to_markdown
    from keras_audio_ssl.recipes.schema import fit_for

    from keras_audio_ssl import methods as registry

    unknown = [m for m in methods if m not in METHODS]
    unregistered = sorted({method for method, _ in METHODS.values()} - set(registry.names()))
    if unregistered:
        raise ValueError(f"benchmarks/quality.py names methods the registry lacks. Received: {unregistered}")
    if unknown:
        raise ValueError(f"Unknown methods {unknown}; known: {sorted(METHODS)}. Received: methods={list(methods)}")
    tf.get_logger().setLevel("ERROR")  # every probe compiles a few small functions
    if benchmark is None:
        benchmark = os.path.join(tempfile.mkdtemp(prefix="offline_benchmark_"), "bench")
    _ensure_benchmark(benchmark, build_size, seed)
    tasks = load_tasks(benchmark)
    pool = _pool_paths(benchmark, pool_clips, seed)
    batch = min(batch_size, len(pool))

    models, budgets, baselines, architectures, spent = {}, [], {}, {}, {}
    for method in methods:
        recipe, extra = variant_settings(method)
        extra = {"encoder": encoder, "feature_d": feature_d, **extra}
        fit = fit_for(recipe)
        run_dir = os.path.join(output, f"{method.replace(chr(39), '_prime').replace(' ', '_')}_run")
        print(f"[quality] pretraining {method} ({extra['encoder']}, d={extra['feature_d']}) on {len(pool)} pool clips: "
              f"<= {epochs} epochs, <= {minutes} min, batch {batch}", flush=True)
        budget = _TimeBudget(minutes)
        started = time.time()
        _, history = fit(pool, output_dir=run_dir, epochs=epochs, batch_size=batch, seed=seed, callbacks=[budget],
                         verbose=verbose, norm_stats_samples=min(10000, len(pool)), **extra)
        spent[method] = (time.time() - started) / 60
        budgets.append(f"{method} {len(history.history.get('loss', []))} epochs in {spent[method]:.1f} min")
        models[method] = load_embedding_model(run_dir)
        architecture = (extra["encoder"], extra["feature_d"])
        same = architecture == (encoder, feature_d)
        baselines[method] = "random" if same else f"random {extra['encoder']}"
        architectures.setdefault(baselines[method], (architecture, run_dir))

    # One random encoder per architecture, the default first; the pre-normalisation statistics
    # are the pool's (equal for every method of one front end).
    for name, ((arch_encoder, arch_d), run_dir) in sorted(architectures.items(), key=lambda kv: kv[0] != "random"):
        with open(os.path.join(run_dir, "normalization.json")) as f:
            stats = json.load(f)
        models[name] = random_embedding_model(arch_encoder, arch_d, stats, seed)

    rows = probe_classification(models, tasks, probe_runs=probe_runs, seed=seed, probe_epochs=probe_epochs,
                                clip_length=clip_length, max_seconds=max_seconds)
    if frame_tasks:
        with open(os.path.join(benchmark, "benchmark.json")) as f:
            present = json.load(f)["tasks"]
        frame_level = []
        if "sed" in present:
            frame_level += [(task, evaluate_sed) for task in load_sound_event_tasks(benchmark)]
        if "pitch" in present:
            frame_level += [(task, evaluate_pitch) for task in load_pitch_tasks(benchmark)]
        for task, evaluate in frame_level:
            for name, model in models.items():
                started_probe = time.time()
                result = evaluate(model, task, runs=frame_probe_runs, seed=seed)
                result["encoder"] = name
                rows.append(result)
                print(f"[quality] {result['task']:14s} {name:7s} {result['metric']} {result['score']:.4f} "
                      f"± {result['score_std']:.4f} ({time.time() - started_probe:.0f} s)", flush=True)
    long = results_frame(rows)
    table = _summary_table(long, list(methods), baselines)
    widths = ", ".join(f"{name}: {arch[0]} d={int(models[name].output_shape[-1])}"
                       for name, (arch, _) in architectures.items())
    budget_line = (f"Budget: {len(pool)} pool clips, at most {epochs} epochs and "
                   f"{minutes} min each, batch {batch}: {'; '.join(budgets)}; random encoders = each method's "
                   f"architecture untrained ({widths}); linear probe x {probe_runs} seeds (mean ± std), "
                   + ("one seeded random crop of each task's unit length per clip (BYOL-A's protocol), statistics "
                      "from up to 10,000 training crops" if clip_length == "unit" else "whole clips, downstream-train "
                      "normalisation")
                   + ("; after the average, frame-level tasks with the multi-strategy paper's probe "
                      f"(dropout 0.1 + Dense, 250 epochs, Adam 1e-4, batch 1024) x {frame_probe_runs} seeds." if frame_tasks
                      else "."))
    os.makedirs(output, exist_ok=True)
    long.to_csv(os.path.join(output, "quality.csv"), index=False)
    table.to_csv(os.path.join(output, "quality_summary.csv"), index=False)
    markdown = to_markdown(_pm(table, list(methods), baselines))
    with open(os.path.join(output, "quality.md"), "w") as f:
        f.write(f"# Quality: {', '.join(methods)} vs random encoder on {benchmark}\n\n{cpu_info.stamp_line()}\n\n{budget_line}\n\n{markdown}\n")
    print("\n" + budget_line + "\n\n" + markdown, flush=True)
    return {"table": table, "long": long, "budgets": budgets, "pool_clips": len(pool), "minutes": spent,
            "baselines": baselines, "markdown": markdown, "budget_line": budget_line}


def write_docs(result, out_dir, *, command=None, quick=False):
    """The summary table as `docs/results/quality.md`, and the average score against pretraining
    minutes per method, each random encoder a dashed line, as `quality.png`."""
    from results import new_figure
    from results import write_results

    table = result["table"]
    average = table[table["task"] == "average"].iloc[0]
    figure = new_figure(6.5, 4.0)
    ax = figure.add_subplot()
    for method, minutes in result["minutes"].items():
        ax.errorbar([minutes], [average[method]], yerr=[average[f"{method} std"]], fmt="o", capsize=3, label=method)
    for i, baseline in enumerate(dict.fromkeys(result["baselines"].values())):
        ax.axhline(average[baseline], color="grey", linestyle=("--", ":", "-.")[i % 3], label=f"{baseline} init")
    ax.set_xlabel("pretraining minutes")
    ax.set_ylabel("average linear-probe score")
    ax.set_title("quality vs pretraining time")
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3)
    write_results("quality", result["budget_line"] + "\n\n" + result["markdown"], figure, out_dir, command=command,
                  note="--quick: a smoke test, not a measurement" if quick else None)


def main(argv=None):
    from results import add_write_docs_argument
    from results import command_line

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--benchmark", default=None, help="offline benchmark folder (built there if empty)")
    parser.add_argument("--methods", nargs="+", default=["byol-a"], choices=sorted(METHODS),
                        help="methods pretrained at the same budget, each beside the random encoder")
    parser.add_argument("--build-size", choices=("tiny", "small", "full"), default="small")
    parser.add_argument("--output", default="results/quality")
    parser.add_argument("--epochs", type=int, default=100, help="maximum pretraining epochs")
    parser.add_argument("--minutes", type=float, default=25.0, help="pretraining time budget")
    parser.add_argument("--encoder", default="audio_ntt2020", help="registered encoder of every method and of random")
    parser.add_argument("--feature-d", type=int, default=512)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--pool-clips", type=int, default=None, help="use at most this many pool clips")
    parser.add_argument("--probe-runs", type=int, default=10, help="linear-probe seeds per task (BYOL-A: 10)")
    parser.add_argument("--frame-probe-runs", type=int, default=3, help="seeds of the SED / pitch_88 probes")
    parser.add_argument("--clip-length", choices=("unit", "whole"), default="unit",
                        help="probe inputs: one random crop of the task's unit length per clip (BYOL-A), or whole clips")
    parser.add_argument("--probe-epochs", type=int, default=200)
    parser.add_argument("--max-seconds", type=float, default=None,
                        help="--clip-length whole: centre-crop longer clips when embedding")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-frame-tasks", action="store_true",
                        help="skip the SED and 88-way pitch rows (multi-strategy protocol)")
    parser.add_argument("--quick", action="store_true", help="CI size: tiny benchmark, 1 epoch, d=32, 2 probe seeds")
    add_write_docs_argument(parser)
    args = parser.parse_args(argv)
    print(cpu_info.stamp_line(), flush=True)
    settings = dict(build_size=args.build_size, epochs=args.epochs, minutes=args.minutes, feature_d=args.feature_d,
                    batch_size=args.batch_size, pool_clips=args.pool_clips, probe_runs=args.probe_runs,
                    frame_probe_runs=args.frame_probe_runs, probe_epochs=args.probe_epochs,
                    clip_length=args.clip_length, max_seconds=args.max_seconds)
    if args.quick:
        settings.update(QUICK)
    result = run(args.benchmark, output=args.output, methods=args.methods, seed=args.seed,
                 verbose=0 if args.quick else 2, frame_tasks=not args.no_frame_tasks, encoder=args.encoder, **settings)
    if args.write_docs:
        write_docs(result, args.write_docs, command=command_line("quality", argv), quick=args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
