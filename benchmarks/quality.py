"""Quality benchmark: methods pretrained on the offline pool vs a random encoder, at one budget, over seeds.

    python benchmarks/quality.py --benchmark DIR [--methods byol-a cola "cola'" "cola'+"]
        [--build-size small] [--epochs 100 --minutes 25] [--seeds 3]
        [--encoder audio_ntt2020] [--feature-d 512] [--batch-size 64] [--pool-clips N] [--probe-runs 10]
        [--clip-length unit|whole] [--initial-encoder PATH [--initial-name official]]
        [--no-frame-tasks] [--output results/quality]
    python benchmarks/quality.py --quick          # CI-sized: tiny benchmark slice, 2 seeds, minutes

1. Uses the offline benchmark in `--benchmark` (built by tools/make_offline_benchmark.py;
   if the folder has no benchmark.json it is built there at `--build-size`).
2. Pretrains each method (`recipes.byola.fit`, `recipes.cola.fit`, ...) on the unlabelled pool
   (`pretrain_pool.csv`, disjoint from every test set) within the budget: at most `--epochs`
   epochs, and no new epoch is started once `--minutes` would be exceeded; once per
   pretraining seed (`--seeds`, from `--seed`). The random encoder is drawn anew per seed.
3. Probes every task with the BYOL-A linear protocol (one seeded random crop of the task's
   unit length per clip, normalisation statistics from up to 10,000 random training crops,
   standardised embeddings, one linear layer, early stopping, `--probe-runs` seeds) for
   the pretrained encoder and for the same architecture randomly initialised; then the
   frame-level tasks with the multiple-sampling-strategies protocol (a dropout 0.1 +
   Dense layer, 250 epochs, Adam 1e-4, batch 1024): `sed` (frame embeddings, onset
   F-measure) and `pitch_88` (88-way MIDI pitch, CREPE's pitch accuracy). Those rows
   come after the average, which stays over the linear-protocol tasks.
4. Prints one table: per task and for the average, each row's mean over pretraining seeds
   ± the half width of its 95 % Student-t interval (`evaluation.intervals`), and each
   method's margin over its random encoder ± Welch's interval with a verdict: "better" or
   "worse" only where the interval excludes zero, else "no difference". Writes
   `quality.csv` (one row per task x encoder x seed), `quality_summary.csv` and `quality.md`.

`--initial-encoder PATH` (an official BYOL-A `.pth` via the converter, a `.keras`, a preset, a
run directory: `encoders.initial`) adds two kinds of row: those weights probed as is (no
pretraining; named `--initial-name`) and every method pretrained further from them on the
pool at the same budget (`"<method> from <name>"`, the recipes' warm start).

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
             frame_probe_runs=2, probe_epochs=40, seeds=2)


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


def _per_seed(long, encoder, linear):
    """`{task: [score per pretraining seed]}` of one encoder (a seed's score: mean over its probe seeds),
    and the per-seed average over the linear-protocol tasks under "average"."""
    rows = long[long["encoder"] == encoder].sort_values("seed")
    scores = {task: group["score"].to_list() for task, group in rows.groupby("task", sort=False)}
    tasks = linear[linear["encoder"] == encoder]["task"].unique()
    scores["average"] = list(np.mean([scores[t] for t in tasks], axis=0))
    return scores


def _summary_table(long, methods, baselines=None):
    """Wide table, one row per task, the average over the linear-protocol tasks, then the frame-level
    rows. Per encoder (each method, each random encoder; `baselines`: method -> its random
    encoder, default "random"): the mean over pretraining seeds and its 95 % interval's half
    width (`"<encoder> ±"`, NaN for one seed); per method its margin over its random encoder
    with Welch's interval and the verdict ("better"/"worse" only when the interval excludes 0)."""
    from keras_audio_ssl.evaluation.intervals import difference_interval
    from keras_audio_ssl.evaluation.intervals import mean_interval
    from keras_audio_ssl.evaluation.intervals import verdict

    baselines = baselines or {m: "random" for m in methods}
    encoders = [*methods, *dict.fromkeys(baselines[m] for m in methods)]
    linear = long[long["protocol"] == "linear"] if "protocol" in long else long
    per_seed = {encoder: _per_seed(long, encoder, linear) for encoder in encoders}
    order = [*linear["task"].unique(), "average", *long.drop(linear.index)["task"].unique()]
    metrics = dict(zip(long["task"], long["metric"]))
    rows = []
    for task in order:
        row = {"task": task, "metric": metrics.get(task, "mean")}
        for encoder in encoders:
            interval = mean_interval(per_seed[encoder][task])
            row[encoder], row[f"{encoder} ±"], row[f"{encoder} n"] = interval.mean, interval.half_width, interval.n
        for method in methods:
            margin = difference_interval(per_seed[method][task], per_seed[baselines[method]][task])
            name = _margin(method, methods)
            row[name], row[f"{name} ±"], row[f"{name} verdict"] = margin.mean, margin.half_width, verdict(margin)
        rows.append(row)
    return pd.DataFrame(rows)


def _margin(method, methods):
    return "margin" if len(methods) == 1 else f"{method} margin"


def _cell(mean, half_width, signed=False, digits=4):
    sign = "+" if signed else ""
    return f"{mean:{sign}.{digits}f}" + ("" if np.isnan(half_width) else f" ± {half_width:.{digits}f}")


def _pm(table, methods, baselines=None):
    """The table as printed: `mean ± 95 % half width` per encoder, `margin ± half width (verdict)` per method."""
    baselines = baselines or {m: "random" for m in methods}
    shown = pd.DataFrame({"task": table["task"], "metric": table["metric"]})
    for encoder in (*methods, *dict.fromkeys(baselines[m] for m in methods)):
        shown[encoder] = [_cell(m, h) for m, h in zip(table[encoder], table[f"{encoder} ±"])]
    for method in methods:
        name = _margin(method, methods)
        shown[name] = [f"{_cell(m, h, signed=True)} ({v})"
                       for m, h, v in zip(table[name], table[f"{name} ±"], table[f"{name} verdict"])]
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


def initial_embedding_model(spec, encoder, feature_d, stats):
    """The given weights as is (no pretraining): `spec` (a .pth via the converter, a .keras, a preset,
    a run directory: `encoders.initial`) in the registered `encoder` behind the pool's `stats`."""
    from keras_audio_ssl.encoders import build_embedding_model
    from keras_audio_ssl.encoders import load_initial_weights
    from keras_audio_ssl.recipes.run import build_encoder

    weighted = build_encoder(encoder, feature_d)
    model = build_embedding_model(weighted, mean=stats["mean"], std=stats["std"])
    _, weights = load_initial_weights(spec, weighted)
    weighted.set_weights(weights)
    return model


def _slug(name):
    return name.replace(chr(39), "_prime").replace(" ", "_")


def _probe_frame_level(models, benchmark, frame_probe_runs, seed):
    from keras_audio_ssl.evaluation import evaluate_pitch
    from keras_audio_ssl.evaluation import evaluate_sed
    from keras_audio_ssl.evaluation import load_pitch_tasks
    from keras_audio_ssl.evaluation import load_sound_event_tasks

    with open(os.path.join(benchmark, "benchmark.json")) as f:
        present = json.load(f)["tasks"]
    frame_level = []
    if "sed" in present:
        frame_level += [(task, evaluate_sed) for task in load_sound_event_tasks(benchmark)]
    if "pitch" in present:
        frame_level += [(task, evaluate_pitch) for task in load_pitch_tasks(benchmark)]
    rows = []
    for task, evaluate in frame_level:
        for name, model in models.items():
            started_probe = time.time()
            result = evaluate(model, task, runs=frame_probe_runs, seed=seed)
            result["encoder"] = name
            rows.append(result)
            print(f"[quality] {result['task']:14s} {name:7s} {result['metric']} {result['score']:.4f} "
                  f"± {result['score_std']:.4f} ({time.time() - started_probe:.0f} s)", flush=True)
    return rows


def run(benchmark=None, *, output="results/quality", methods=("byol-a",), build_size="small", epochs=100,
        minutes=25.0, feature_d=512, batch_size=64, pool_clips=None, probe_runs=10, frame_probe_runs=3,
        probe_epochs=200, clip_length="unit", max_seconds=None, seed=0, seeds=3, verbose=2, frame_tasks=True,
        encoder="audio_ntt2020", initial_encoder=None, initial_name="initial", pool=None):
    """Pretrains and probes every row over `seeds` pretraining seeds (`seed`, `seed + 1`, ...): seed s
    pretrains with s, draws the random encoder with s + 1 and probes every model with probe seeds
    from s. `initial_encoder` (a path or preset) adds the row `initial_name` (those weights as is)
    and `"<method> from <initial_name>"` (each method pretrained further from them at the same
    budget). `pool`: a benchmark folder whose `pretrain_pool.csv` to pretrain on (default `benchmark`'s)."""
    import tensorflow as tf

    from keras_audio_ssl.encoders import load_embedding_model
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
    if not isinstance(seeds, int) or seeds < 1:
        raise ValueError(f"seeds must be a positive integer. Received: seeds={seeds!r}")
    own_encoder = [m for m in methods if {"encoder", "feature_d"} & set(variant_settings(m)[1])]
    if initial_encoder is not None and len(own_encoder) == len(methods):
        raise ValueError(f"--initial-encoder needs a method on --encoder {encoder} (d={feature_d}) beside its row; "
                         f"these bring their own encoder. Received: methods={list(methods)}")
    tf.get_logger().setLevel("ERROR")  # every probe compiles a few small functions
    if benchmark is None:
        benchmark = os.path.join(tempfile.mkdtemp(prefix="offline_benchmark_"), "bench")
    _ensure_benchmark(benchmark, build_size, seed)
    tasks = load_tasks(benchmark)
    paths = _pool_paths(pool or benchmark, pool_clips, seed)
    batch = min(batch_size, len(paths))
    # Rows pretrained: (row name, benchmark variant, warm-start weights or None).
    pretrained = [(method, method, None) for method in methods]
    if initial_encoder is not None:
        pretrained += [(f"{method} from {initial_name}", method, initial_encoder) for method in methods]
    rows_named = [name for name, _, _ in pretrained] + ([initial_name] if initial_encoder is not None else [])

    rows, spent, epochs_run, baselines, architectures = [], {}, {}, {}, {}
    for s in range(seed, seed + seeds):
        models, run_dirs = {}, {}
        for name, method, warm in pretrained:
            recipe, extra = variant_settings(method)
            extra = {"encoder": encoder, "feature_d": feature_d, **extra}
            if warm is not None:
                extra["initial_encoder"] = warm
            run_dir = os.path.join(output, f"{_slug(name)}_seed{s}_run")
            print(f"[quality] seed {s}: pretraining {name} ({extra['encoder']}, d={extra['feature_d']}) on {len(paths)} "
                  f"pool clips: <= {epochs} epochs, <= {minutes} min, batch {batch}", flush=True)
            budget = _TimeBudget(minutes)
            started = time.time()
            _, history = fit_for(recipe)(paths, output_dir=run_dir, epochs=epochs, batch_size=batch, seed=s,
                                         callbacks=[budget], verbose=verbose,
                                         norm_stats_samples=min(10000, len(paths)), **extra)
            spent.setdefault(name, []).append((time.time() - started) / 60)
            epochs_run.setdefault(name, []).append(len(history.history.get("loss", [])))
            models[name] = load_embedding_model(run_dir)
            architecture = (extra["encoder"], extra["feature_d"])
            baselines[name] = "random" if architecture == (encoder, feature_d) else f"random {extra['encoder']}"
            architectures.setdefault(baselines[name], architecture)
            run_dirs.setdefault(baselines[name], run_dir)
        # The pool's pre-normalisation statistics, as this seed's runs computed them (equal for every
        # method of one front end).
        stats_of = {}
        for baseline, run_dir in run_dirs.items():
            with open(os.path.join(run_dir, "normalization.json")) as f:
                stats_of[baseline] = json.load(f)
        if initial_encoder is not None:
            models[initial_name] = initial_embedding_model(initial_encoder, encoder, feature_d, stats_of["random"])
            baselines[initial_name] = "random"
        # One random encoder per architecture, the default first, drawn anew for every seed.
        for name, (arch_encoder, arch_d) in sorted(architectures.items(), key=lambda kv: kv[0] != "random"):
            models[name] = random_embedding_model(arch_encoder, arch_d, stats_of[name], s)
        seed_rows = probe_classification(models, tasks, probe_runs=probe_runs, seed=s, probe_epochs=probe_epochs,
                                         clip_length=clip_length, max_seconds=max_seconds)
        if frame_tasks:
            seed_rows += _probe_frame_level(models, benchmark, frame_probe_runs, s)
        for row in seed_rows:
            row["seed"] = s
        rows += seed_rows

    long = results_frame(rows)
    table = _summary_table(long, rows_named, baselines)
    budgets = [f"{name} {'/'.join(map(str, epochs_run[name]))} epochs in {np.mean(spent[name]):.1f} min (mean)"
               for name, _, _ in pretrained]
    widths = ", ".join(f"{name}: {arch[0]} d={arch[1]}" for name, arch in architectures.items())
    budget_line = (f"Budget: {len(paths)} pool clips, at most {epochs} epochs and {minutes} min each, batch {batch}, "
                   f"{seeds} pretraining seeds ({seed}..{seed + seeds - 1}) per row, each row mean ± 95 % t-interval "
                   f"over them, margins with Welch's interval, a difference called only where its interval excludes 0: "
                   f"{'; '.join(budgets)}; random encoders = each method's architecture untrained, one draw per seed "
                   f"({widths})"
                   + (f"; {initial_name} = {initial_encoder} as is, no pretraining (its spread is the probe's only)"
                      if initial_encoder is not None else "")
                   + f"; per seed a linear probe x {probe_runs} seeds, "
                   + ("one seeded random crop of each task's unit length per clip (BYOL-A's protocol), statistics "
                      "from up to 10,000 training crops" if clip_length == "unit" else "whole clips, downstream-train "
                      "normalisation")
                   + ("; after the average, frame-level tasks with the multi-strategy paper's probe "
                      f"(dropout 0.1 + Dense, 250 epochs, Adam 1e-4, batch 1024) x {frame_probe_runs} seeds." if frame_tasks
                      else "."))
    os.makedirs(output, exist_ok=True)
    long.to_csv(os.path.join(output, "quality.csv"), index=False)
    table.to_csv(os.path.join(output, "quality_summary.csv"), index=False)
    markdown = to_markdown(_pm(table, rows_named, baselines))
    with open(os.path.join(output, "quality.md"), "w") as f:
        f.write(f"# Quality: {', '.join(rows_named)} vs random encoder on {benchmark}\n\n{cpu_info.stamp_line()}\n\n"
                f"{budget_line}\n\n{markdown}\n")
    print("\n" + budget_line + "\n\n" + markdown, flush=True)
    minutes_spent = {name: float(np.mean(v)) for name, v in spent.items()}
    if initial_encoder is not None:
        minutes_spent[initial_name] = 0.0
    return {"table": table, "long": long, "budgets": budgets, "pool_clips": len(paths), "minutes": minutes_spent,
            "baselines": baselines, "markdown": markdown, "budget_line": budget_line, "seeds": seeds}


def write_docs(result, out_dir, *, command=None, quick=False):
    """The summary table as `docs/results/quality.md`, and the average score (95 % interval over
    pretraining seeds) against pretraining minutes per row, each random encoder a dashed line
    with its interval shaded, as `quality.png`."""
    from results import new_figure
    from results import write_results

    table = result["table"]
    average = table[table["task"] == "average"].iloc[0]
    figure = new_figure(6.5, 4.0)
    ax = figure.add_subplot()
    for name, minutes in result["minutes"].items():
        error = None if np.isnan(average[f"{name} ±"]) else [average[f"{name} ±"]]
        ax.errorbar([minutes], [average[name]], yerr=error, fmt="o", capsize=3, label=name)
    for i, baseline in enumerate(dict.fromkeys(result["baselines"].values())):
        ax.axhline(average[baseline], color="grey", linestyle=("--", ":", "-.")[i % 3], label=f"{baseline} init")
        if not np.isnan(average[f"{baseline} ±"]):
            ax.axhspan(average[baseline] - average[f"{baseline} ±"], average[baseline] + average[f"{baseline} ±"],
                       color="grey", alpha=0.15)
    ax.set_xlabel("pretraining minutes")
    ax.set_ylabel("average linear-probe score")
    ax.set_title(f"quality vs pretraining time ({result.get('seeds', 1)} seeds, 95 % intervals)")
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3)
    write_results("quality", result["budget_line"] + "\n\n" + result["markdown"], figure, out_dir, command=command,
                  note="--quick: a smoke test, not a measurement" if quick else None)


def main(argv=None):
    from results import add_write_docs_argument
    from results import run_and_write

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
    parser.add_argument("--seed", type=int, default=0, help="the first pretraining seed")
    parser.add_argument("--seeds", type=int, default=3, help="pretraining seeds per row (intervals need >= 2)")
    parser.add_argument("--initial-encoder", default=None, metavar="PATH",
                        help="also probe these weights as is and pretrain every method further from them "
                             "(official .pth, .keras, preset, run directory)")
    parser.add_argument("--initial-name", default="initial", help="the row name of --initial-encoder's weights")
    parser.add_argument("--no-frame-tasks", action="store_true",
                        help="skip the SED and 88-way pitch rows (multi-strategy protocol)")
    parser.add_argument("--quick", action="store_true", help="CI size: tiny benchmark, 1 epoch, d=32, 2 probe seeds")
    add_write_docs_argument(parser)
    args = parser.parse_args(argv)
    print(cpu_info.stamp_line(), flush=True)
    settings = dict(build_size=args.build_size, epochs=args.epochs, minutes=args.minutes, feature_d=args.feature_d,
                    batch_size=args.batch_size, pool_clips=args.pool_clips, probe_runs=args.probe_runs,
                    frame_probe_runs=args.frame_probe_runs, probe_epochs=args.probe_epochs,
                    clip_length=args.clip_length, max_seconds=args.max_seconds, seeds=args.seeds)
    if args.quick:
        settings.update(QUICK)
    if args.seeds < 1:
        parser.error(f"--seeds must be >= 1. Received: seeds={args.seeds}")
    if args.initial_encoder is not None and not os.path.exists(args.initial_encoder):
        from keras_audio_ssl.encoders import preset_names

        if args.initial_encoder not in preset_names():
            parser.error(f"--initial-encoder: no file, directory or preset. Received: initial_encoder={args.initial_encoder!r}")

    def compute():
        return run(args.benchmark, output=args.output, methods=args.methods, seed=args.seed,
                   verbose=0 if args.quick else 2, frame_tasks=not args.no_frame_tasks, encoder=args.encoder,
                   initial_encoder=args.initial_encoder, initial_name=args.initial_name, **settings)

    return run_and_write("quality", compute, write_docs, args, argv)


if __name__ == "__main__":
    sys.exit(main())
