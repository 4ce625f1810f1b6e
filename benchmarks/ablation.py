"""Ablations at one fixed budget on the offline benchmark, over pretraining seeds, one table.

    python benchmarks/ablation.py --benchmark DIR [--variants default rrc mixup ...] [--seeds 3]
        [--minutes 5 --epochs 100] [--curve 5 10 20 40] [--probe-runs 3]
        [--feature-d 512] [--batch-size 64] [--output results/ablation]
    python benchmarks/ablation.py --method multi-strategy --benchmark DIR   # clip / +frame / +pitch / all
    python benchmarks/ablation.py --list [--method multi-strategy]          # the variants and what each changes
    python benchmarks/ablation.py --quick          # CI size: tiny benchmark, 2 variants, 2 seeds

`--method byol-a` (the default): each variant is `recipes.byola.fit` with a few settings
changed from the default (Mixup + RRC, BatchNorm over both views, Keras init, Slaney mel,
the benchmark's pool, d=512, Adam 3e-4). `--method multi-strategy`: the multiple sampling
strategies paper's ablation order, `recipes.multi_strategy.fit` on AudioNTT2020 with the clip
loss alone, clip + frame, clip + pitch, and all three (the method's defaults, unchanged).
Every variant is pretrained on the unlabelled pool within the same budget (at most
`--epochs` epochs; no epoch starts once `--minutes` would be exceeded), once per pretraining
seed (`--seeds`, from `--seed`), then probed on every classification task with the BYOL-A
linear protocol (`quality.py`'s: one seeded unit-length crop per clip, statistics from
training crops, `--probe-runs` seeds, the same crops and seeds for every model of a seed).

Every variant sits beside a random-init encoder of the same architecture, width, mel
scale and initialization scheme (one per distinct combination and seed, shared between
variants), and beside the reference variant ("default", or "all"): the table prints the
average's mean over seeds ± the half width of its 95 % t-interval, the margin over that
random encoder and the difference from the reference with Welch's intervals, and calls
either "better" or "worse" only where its interval excludes zero, whatever its sign.

`--curve M1 M2 ...` adds the quality-vs-minutes curve of the reference variant (or of
`--curve-variant`): its run continued from budget to budget (the learning rate is
constant, so the run at 10 min is the run at 5 min trained 5 more; with that variant in
the grid, its `--minutes` row is the curve's first point), probed at each, per seed; where
it crosses its random encoder is where self-supervision starts to pay at this scale.

Combinations of single BYOL-A changes (`--list` names them, e.g. "mixup + bn per view") run
like any variant when named in `--variants`.

Results are kept per variant and seed in `--output` (`results/<variant>_seed<s>.json`): a
second call probes only what is missing, and a killed call resumes its runs (`fit()`'s run
directories). Pretraining minutes are wall time: keep the machine otherwise idle.
"""

import argparse
import os
import sys
import time

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from keras_audio_ssl import cpu_info  # noqa: E402 (after the path and the log level)

# name -> (what it tests, fit() settings on top of the default, pool composition).
VARIANTS = {
    "default": ("Mixup + RRC (the paper's BYOL-A)", {}, "benchmark"),
    "rrc": ("RRC only", {"augmentations": ["rrc"]}, "benchmark"),
    "mixup": ("Mixup only", {"augmentations": ["mixup"]}, "benchmark"),
    "gaussian+rrc": ("Gaussian-noise block + RRC", {"augmentations": ["gaussian", "rrc"]}, "benchmark"),
    "gaussian": ("Gaussian-noise block only", {"augmentations": ["gaussian"]}, "benchmark"),
    "none": ("no augmentation (normalizations only)", {"augmentations": []}, "benchmark"),
    "bn per view": ("BatchNorm per view (the official code)", {"batch_norm_views": "per_view"}, "benchmark"),
    "torch init": ("PyTorch-default initialization", {"initialization": "torch"}, "benchmark"),
    "htk mel": ("HTK mel scale at pretraining (torchaudio's)", {"mel_scale": "htk"}, "benchmark"),
    "balanced pool": ("speech and music equally often in every epoch", {}, "balanced"),
    "d=2048": ("feature_d 2048 (the paper's main width)", {"feature_d": 2048}, "benchmark"),
    "lr 1e-3": ("Adam 1e-3", {"learning_rate": 1e-3}, "benchmark"),
    "lr 1e-4": ("Adam 1e-4", {"learning_rate": 1e-4}, "benchmark"),
}
GRID = tuple(VARIANTS)
# The multiple-sampling-strategies paper's ablation order (Kuroyanagi & Komatsu 2022, Table 1): the clip
# loss alone (COLA's), with the frame or the pitch loss, all three (the method's defaults, unchanged).
MULTI_STRATEGY_VARIANTS = {
    "clip": ("clip loss only (COLA's)", {"frame_weight": 0.0, "pitch_weight": 0.0}, "benchmark"),
    "clip+frame": ("clip + frame losses", {"pitch_weight": 0.0}, "benchmark"),
    "clip+pitch": ("clip + pitch-shift losses", {"frame_weight": 0.0}, "benchmark"),
    "all": ("clip + frame + pitch-shift losses (the paper's)", {}, "benchmark"),
}
# --method -> (registered method, its variants, the reference row "vs default" compares with, base settings).
# Multi-strategy runs on AudioNTT2020 (the paper: EfficientNet-B0) so that it shares the random encoder.
GRIDS = {
    "byol-a": ("byola", VARIANTS, "default", {"learning_rate": 3e-4}),
    "multi-strategy": ("multi_strategy", MULTI_STRATEGY_VARIANTS, "all", {"encoder": "audio_ntt2020"}),
}
# Single changes that each helped at the fixed budget, together: do their gains add up?
# Selectable by name with --variants; not part of the default grid.
COMBINATIONS = {
    "mixup + bn per view": ("Mixup only and BatchNorm per view", ("mixup", "bn per view")),
}
QUICK = dict(build_size="tiny", epochs=1, minutes=5.0, feature_d=32, batch_size=8, probe_runs=2, probe_epochs=40,
             variants=("default", "rrc"), curve=(), seeds=2)


def describe(name, method="byol-a"):
    """What a variant or combination changes, in words."""
    return COMBINATIONS[name][0] if name in COMBINATIONS else GRIDS[method][1][name][0]


def variant_settings(name, feature_d, learning_rate=3e-4, method="byol-a"):
    """`(fit settings, pool mode)` of a variant or combination of `method`'s grid (settings include
    feature_d, and for BYOL-A learning_rate)."""
    if method not in GRIDS:
        raise ValueError(f"Unknown method; known: {list(GRIDS)}. Received: method={method!r}")
    _, variants, _, base = GRIDS[method]
    if name in COMBINATIONS and method == "byol-a":
        parts = [variant_settings(part, feature_d, learning_rate) for part in COMBINATIONS[name][1]]
        pools = {pool for _, pool in parts}
        if len(pools) > 1:
            raise ValueError(f"Combination {name!r} mixes pool modes {sorted(pools)}")
        settings = {}
        for part_settings, _ in parts:
            settings.update(part_settings)
        return settings, pools.pop()
    if name not in variants:
        known = list(variants) + (list(COMBINATIONS) if method == "byol-a" else [])
        raise ValueError(f"Unknown variant {name!r}; known: {known}. Received: variants=[..., {name!r}, ...]")
    _, extra, pool = variants[name]
    base = dict(base, learning_rate=learning_rate) if "learning_rate" in base else dict(base)
    return {"feature_d": feature_d, **base, **extra}, pool


def random_key(settings):
    """What a random-init baseline must share with a variant: width, mel scale, initialization."""
    return (settings["feature_d"], settings.get("mel_scale", "slaney"), settings.get("initialization", "keras"))


def pool_paths(benchmark, mode, seed=0):
    """The pretraining pool's paths. `"balanced"` repeats the rarer kind (the folder under
    `pretrain_pool/`, e.g. speech / music) until every kind is as frequent as the commonest,
    so an epoch sees each kind equally often; `"benchmark"` keeps the pool as built."""
    from quality import _pool_paths

    paths = _pool_paths(benchmark, None, seed)
    if mode == "benchmark":
        return paths
    if mode != "balanced":
        raise ValueError(f"pool mode must be 'benchmark' or 'balanced'. Received: {mode!r}")
    kinds = {}
    for path in paths:
        kinds.setdefault(os.path.basename(os.path.dirname(path)), []).append(path)
    most = max(len(v) for v in kinds.values())
    rng = np.random.default_rng(seed)
    balanced = []
    for kind in sorted(kinds):
        members = kinds[kind]
        extra = rng.choice(len(members), most - len(members), replace=True) if most > len(members) else []
        balanced += members + [members[i] for i in extra]
    return balanced


def pool_composition(paths):
    kinds = pd.Series([os.path.basename(os.path.dirname(p)) for p in paths]).value_counts()
    return ", ".join(f"{k} {v}" for k, v in kinds.sort_index().items())


def _slug(name):
    return "".join(c if c.isalnum() else "_" for c in name)


def _read(path):
    from keras_audio_ssl.recipes.run_state import read_json

    return read_json(path)


def _write(path, value):
    from keras_audio_ssl.recipes.run_state import write_json_atomic

    write_json_atomic(path, value)


def _probe(model, name, tasks, probe_runs, probe_epochs, seed, clip_length):
    from quality import probe_classification

    rows = probe_classification({name: model}, tasks, probe_runs=probe_runs, seed=seed, probe_epochs=probe_epochs,
                                clip_length=clip_length, log_prefix="[ablation]")
    return {"tasks": {r["task"]: {"score": float(r["score"]), "std": float(r["score_std"]),
                                  "scores": [float(v) for v in r["scores"]]} for r in rows},
            "metric": {r["task"]: r["metric"] for r in rows}}


def _average(result):
    """Mean over tasks of one seed's result (each task: mean over its probe seeds)."""
    return float(np.mean([t["score"] for t in result["tasks"].values()]))


def _pretrain(recipe, settings, paths, run_dir, *, epochs, minutes, batch_size, seed, verbose):
    from keras_audio_ssl.recipes.callbacks import TimeBudget
    from keras_audio_ssl.recipes.schema import fit_for

    started = time.time()
    _, history = fit_for(recipe)(paths, output_dir=run_dir, epochs=epochs, batch_size=min(batch_size, len(paths)),
                                 seed=seed, callbacks=[TimeBudget(minutes)], verbose=verbose,
                                 norm_stats_samples=min(10000, len(paths)), **settings)
    return len(history.history.get("loss", [])), (time.time() - started) / 60.0


def _random_result(key, stats, tasks, out, probe, seed):
    """The random-init baseline for `key` (width, mel scale, init) drawn with `seed`, probed once and kept."""
    from quality import random_embedding_model

    feature_d, mel_scale, initialization = key
    path = os.path.join(out, "results", f"random_d{feature_d}_{mel_scale}_{initialization}_seed{seed}.json")
    cached = _read(path)
    if cached is not None:
        return cached
    model = random_embedding_model("audio_ntt2020", feature_d, stats, seed, initialization, mel_scale)
    result = probe(model, "random", seed)
    _write(path, result)
    return result


def run(benchmark=None, *, output="results/ablation", variants=GRID, curve=(), curve_variant=None,
        build_size="small", epochs=100, minutes=5.0, feature_d=512, batch_size=64, probe_runs=3, probe_epochs=200,
        clip_length="unit", seed=0, seeds=3, method="byol-a", verbose=2):
    """Pretrains and probes every variant over `seeds` pretraining seeds (`seed`, `seed + 1`, ...; the
    random encoder of seed s is drawn with s, every model of seed s is probed with probe seeds from s)."""
    import tensorflow as tf

    from keras_audio_ssl.encoders import load_embedding_model
    from keras_audio_ssl.evaluation import load_tasks
    from keras_audio_ssl.evaluation import to_markdown
    from quality import _ensure_benchmark

    if method not in GRIDS:
        raise ValueError(f"Unknown method; known: {list(GRIDS)}. Received: method={method!r}")
    recipe, _, reference, _ = GRIDS[method]
    curve_variant = reference if curve_variant is None else curve_variant
    for name in (*variants, curve_variant):
        variant_settings(name, feature_d, method=method)  # unknown names fail before any training
    if any(not m > 0 for m in curve) or list(curve) != sorted(set(curve)):
        raise ValueError(f"--curve takes increasing positive minutes. Received: curve={list(curve)}")
    if not isinstance(seeds, int) or seeds < 1:
        raise ValueError(f"--seeds must be a positive integer. Received: seeds={seeds!r}")
    tf.get_logger().setLevel("ERROR")
    if benchmark is None:
        benchmark = os.path.join(output, "bench")
    _ensure_benchmark(benchmark, build_size, seed)
    tasks = load_tasks(benchmark)
    os.makedirs(os.path.join(output, "results"), exist_ok=True)

    def probe(model, name, probe_seed):
        return _probe(model, name, tasks, probe_runs, probe_epochs, probe_seed, clip_length)

    # (row name, variant, run directory, minutes of this point or None for the fixed budget)
    points = [(name, name, _slug(name), None) for name in variants]
    # The curve continues its variant's run (that row is its first point) when it is in the grid.
    continues_run = curve_variant in variants
    if continues_run and curve and curve[0] <= minutes:
        raise ValueError(f"The curve continues the {curve_variant!r} variant's {minutes:g}-min run: its points must "
                         f"be longer. Received: curve={list(curve)}, minutes={minutes:g}")
    curve_dir = _slug(curve_variant) if continues_run else f"curve_{_slug(curve_variant)}"
    points += [(f"{curve_variant} @ {m:g} min", curve_variant, curve_dir, m) for m in curve]
    per_row = {name: ([], []) for name, _, _, _ in points}
    for s in range(seed, seed + seeds):
        trained_curve = 0.0
        for row_name, variant, run_slug, point in points:
            settings, pool_mode = variant_settings(variant, feature_d, method=method)
            run_dir = os.path.join(output, "runs", f"{run_slug}_seed{s}")
            result_path = os.path.join(output, "results", f"{_slug(row_name)}_seed{s}.json")
            result = _read(result_path)
            if result is None:
                paths = pool_paths(benchmark, pool_mode, seed)
                budget = minutes if point is None else point - trained_curve
                print(f"[ablation] {row_name}, seed {s}: {describe(variant, method)}; {len(paths)} pool clips "
                      f"({pool_composition(paths)}), <= {epochs if point is None else 10 ** 4} epochs, "
                      f"<= {budget:g} min", flush=True)
                n_epochs, spent = _pretrain(recipe, settings, paths, run_dir, epochs=epochs if point is None else 10 ** 4,
                                            minutes=budget, batch_size=batch_size, seed=s, verbose=verbose)
                result = probe(load_embedding_model(run_dir), row_name, s)
                result.update(epochs=n_epochs, minutes=round(spent + (trained_curve if point else 0.0), 2),
                              settings=settings, pool=pool_mode, pool_clips=len(paths), seed=s,
                              normalization=_read(os.path.join(run_dir, "normalization.json")))
                _write(result_path, result)
            if point is not None or (row_name == curve_variant and continues_run):
                trained_curve = result["minutes"]
            baseline = _random_result(random_key(result["settings"]), result["normalization"], tasks, output, probe, s)
            per_row[row_name][0].append(result)
            per_row[row_name][1].append(baseline)

    rows = [(name, variant, *per_row[name]) for name, variant, _, _ in points]
    table = summary_table(rows, reference=reference, method=method)
    budget_line = (f"Budget: {method}, AudioNTT2020, batch {batch_size}, at most {epochs} epochs and {minutes:g} min of "
                   f"pretraining per variant and seed on {benchmark}'s pool; {seeds} pretraining seeds "
                   f"({seed}..{seed + seeds - 1}) per variant: mean ± 95 % t-interval over them, margins and "
                   f"differences from {reference!r} with Welch's interval, called only where it excludes 0; linear "
                   f"probe x {probe_runs} seeds per pretraining seed "
                   f"({'unit-length crops, BYOL-A protocol' if clip_length == 'unit' else 'whole clips'}); random = "
                   "the same architecture, width, mel scale and initialization, untrained, one draw per seed.")
    table.to_csv(os.path.join(output, "ablation.csv"), index=False)
    markdown = to_markdown(table)
    with open(os.path.join(output, "ablation.md"), "w") as f:
        f.write(f"# {method} ablation on {benchmark}\n\n{cpu_info.stamp_line()}\n\n{budget_line}\n\n{markdown}\n")
    print("\n" + budget_line + "\n\n" + markdown, flush=True)
    table.attrs["budget_line"] = budget_line
    table.attrs["method"] = method
    return table


def results_name(method):
    """The generated file's name: `ablation` for BYOL-A's grid, `ablation_<method>` for another method's."""
    return "ablation" if method == "byol-a" else "ablation_" + method.replace("-", "_")


def write_docs(table, out_dir, *, command=None, quick=False):
    """The table as `docs/results/<results_name>.md`; each variant's average (95 % interval over seeds)
    against its pretraining minutes, beside its random encoder, as the `.png` of the same name."""
    from keras_audio_ssl.evaluation import to_markdown
    from results import new_figure
    from results import write_results

    figure = new_figure(7.0, 4.2)
    ax = figure.add_subplot()
    ax.errorbar(table["minutes"], table["average"], yerr=table["± 95 %"].fillna(0.0), fmt="o", capsize=3,
                label="pretrained")
    ax.scatter(table["minutes"], table["random"], marker="_", s=200, color="grey", label="its random encoder")
    for _, row in table.iterrows():
        ax.annotate(row["variant"], (row["minutes"], row["average"]), fontsize="x-small",
                    xytext=(4, 2), textcoords="offset points")
    ax.set_xlabel("pretraining minutes")
    ax.set_ylabel("average linear-probe score")
    ax.set_title(f"{table.attrs.get('method', 'byol-a')} variants: quality vs pretraining time (95 % intervals)")
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3)
    write_results(results_name(table.attrs.get("method", "byol-a")), table.attrs.get("budget_line", "") + "\n\n" + to_markdown(table), figure, out_dir,
                  command=command, note="--quick: a smoke test, not a measurement" if quick else None)


def summary_table(rows, reference="default", method="byol-a"):
    """One row per (name, variant, results per seed, random baselines per seed): per-task means over
    seeds, the average with its 95 % interval, the matched random average, the margin over it and the
    difference from the `reference` row, each with Welch's interval and a verdict ("better"/"worse"
    only where the interval excludes 0)."""
    from keras_audio_ssl.evaluation.intervals import difference_interval
    from keras_audio_ssl.evaluation.intervals import mean_interval
    from keras_audio_ssl.evaluation.intervals import verdict

    def rounded(value):
        return None if np.isnan(value) else round(value, 4)

    averages = {name: [_average(r) for r in results] for name, _, results, _ in rows}
    table = []
    for name, variant, results, baselines in rows:
        average = mean_interval(averages[name])
        random_average = mean_interval([_average(b) for b in baselines])
        margin = difference_interval(averages[name], [_average(b) for b in baselines])
        row = {"variant": name, "changes": describe(variant, method), "seeds": len(results),
               "epochs": "/".join(str(r["epochs"]) for r in results),
               "minutes": round(float(np.mean([r["minutes"] for r in results])), 2)}
        task_means = {t: float(np.mean([r["tasks"][t]["score"] for r in results])) for t in results[0]["tasks"]}
        random_means = {t: float(np.mean([b["tasks"][t]["score"] for b in baselines])) for t in task_means}
        row.update({task: round(v, 4) for task, v in task_means.items()})
        row.update({"average": round(average.mean, 4), "± 95 %": rounded(average.half_width),
                    "random": round(random_average.mean, 4), "margin": round(margin.mean, 4),
                    "margin ±": rounded(margin.half_width), "vs random": verdict(margin)})
        if reference in averages:
            difference = difference_interval(averages[name], averages[reference])
            row.update({f"vs {reference}": round(difference.mean, 4), f"vs {reference} ±": rounded(difference.half_width),
                        f"vs {reference} verdict": verdict(difference) if name != reference else "-"})
        row["worst task vs random"] = round(min(v - random_means[t] for t, v in task_means.items()), 4)
        table.append(row)
    return pd.DataFrame(table)


def main(argv=None):
    from results import add_write_docs_argument
    from results import run_and_write

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--benchmark", default=None, help="offline benchmark folder (built there if empty)")
    parser.add_argument("--variants", nargs="*", default=None,
                        help=f"of {list(VARIANTS)} and the combinations {list(COMBINATIONS)} (--method byol-a, the "
                             f"default: all variants) or of {list(MULTI_STRATEGY_VARIANTS)} (--method multi-strategy)")
    parser.add_argument("--curve", nargs="*", type=float, default=[], help="minutes of the quality-vs-minutes curve")
    parser.add_argument("--curve-variant", default=None,
                        help="the variant whose run the curve continues (default: the method's reference row)")
    parser.add_argument("--method", choices=sorted(GRIDS), default="byol-a",
                        help="the grid: BYOL-A's variants, or the multi-strategy paper's clip / +frame / +pitch / all")
    parser.add_argument("--seeds", type=int, default=3, help="pretraining seeds per variant (intervals need >= 2)")
    parser.add_argument("--build-size", choices=("tiny", "small", "full"), default="small")
    parser.add_argument("--output", default="results/ablation")
    parser.add_argument("--epochs", type=int, default=100, help="maximum pretraining epochs per variant")
    parser.add_argument("--minutes", type=float, default=5.0, help="pretraining time budget per variant")
    parser.add_argument("--feature-d", type=int, default=512)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--probe-runs", type=int, default=3)
    parser.add_argument("--probe-epochs", type=int, default=200)
    parser.add_argument("--clip-length", choices=("unit", "whole"), default="unit")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--list", action="store_true", help="print the variants and exit")
    parser.add_argument("--quick", action="store_true", help="CI size: tiny benchmark, 1 epoch, d=32, 2 variants")
    add_write_docs_argument(parser)
    args = parser.parse_args(argv)
    if args.list:
        for name, (what, settings, pool) in GRIDS[args.method][1].items():
            print(f"{name:20s} {what}: {settings or '-'}{'' if pool == 'benchmark' else f', pool {pool}'}")
        if args.method == "byol-a":
            for name, (what, parts) in COMBINATIONS.items():
                print(f"{name:20s} {what}: {' + '.join(parts)} -> {variant_settings(name, args.feature_d)[0]}")
        return 0
    if args.variants is None:
        args.variants = list(GRIDS[args.method][1])
    print(cpu_info.stamp_line(), flush=True)
    settings = dict(variants=args.variants, curve=args.curve, curve_variant=args.curve_variant,
                    build_size=args.build_size, epochs=args.epochs,
                    minutes=args.minutes, feature_d=args.feature_d, batch_size=args.batch_size,
                    probe_runs=args.probe_runs, probe_epochs=args.probe_epochs, seeds=args.seeds, method=args.method)
    if args.quick:
        settings.update(QUICK)
        if args.method != "byol-a":
            settings["variants"] = list(GRIDS[args.method][1])[:2]

    def compute():
        return run(args.benchmark, output=args.output, clip_length=args.clip_length, seed=args.seed,
                   verbose=0 if args.quick else 2, **settings)

    return run_and_write("ablation", compute, write_docs, args, argv)


if __name__ == "__main__":
    sys.exit(main())
