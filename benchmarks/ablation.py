"""BYOL-A ablation: a grid of variants at one fixed budget on the offline benchmark, one table.

    python benchmarks/ablation.py --benchmark DIR [--variants default rrc mixup ...]
        [--minutes 5 --epochs 100] [--curve 5 10 20 40] [--probe-runs 3]
        [--feature-d 512] [--batch-size 64] [--output results/ablation]
    python benchmarks/ablation.py --list           # the variants and what each changes
    python benchmarks/ablation.py --quick          # CI size: tiny benchmark, 2 variants

Each variant is `recipes.byola.fit` with a few settings changed from the default
(Mixup + RRC, BatchNorm over both views, Keras init, Slaney mel, the benchmark's pool,
d=512, Adam 3e-4), pretrained on the unlabelled pool within the same budget (at most
`--epochs` epochs; no epoch starts once `--minutes` would be exceeded), then probed
on every classification task with the BYOL-A linear protocol (`quality.py`'s:
one seeded unit-length crop per clip, statistics from training crops, `--probe-runs`
seeds, the same crops and seeds for every model).

Every variant sits beside a random-init encoder of the same architecture, width, mel
scale and initialization scheme (one per distinct combination, shared between
variants), and beside the default variant: the table prints the average ± its spread
over probe seeds, the margin over that random encoder and the difference from the
default, whatever their sign.

`--curve M1 M2 ...` adds the quality-vs-minutes curve of the default variant (or of
`--curve-variant`): its run continued from budget to budget (the learning rate is
constant, so the run at 10 min is the run at 5 min trained 5 more; with that variant in
the grid, its `--minutes` row is the curve's first point), probed at each; where it
crosses its random encoder is where self-supervision starts to pay at this scale.

Combinations of single changes (`--list` names them, e.g. "mixup + bn per view") run
like any variant when named in `--variants`.

Results are kept per variant in `--output` (`results/<variant>.json`): a second call
probes only what is missing, and a killed call resumes its runs (`fit()`'s run
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
# Single changes that each helped at the fixed budget, together: do their gains add up?
# Selectable by name with --variants; not part of the default grid.
COMBINATIONS = {
    "mixup + bn per view": ("Mixup only and BatchNorm per view", ("mixup", "bn per view")),
}
QUICK = dict(build_size="tiny", epochs=1, minutes=5.0, feature_d=32, batch_size=8, probe_runs=2, probe_epochs=40,
             variants=("default", "rrc"), curve=())


def describe(name):
    """What a variant or combination changes, in words."""
    return COMBINATIONS[name][0] if name in COMBINATIONS else VARIANTS[name][0]


def variant_settings(name, feature_d, learning_rate=3e-4):
    """`(fit settings, pool mode)` of a variant or combination (settings include feature_d and
    learning_rate)."""
    if name in COMBINATIONS:
        parts = [variant_settings(part, feature_d, learning_rate) for part in COMBINATIONS[name][1]]
        pools = {pool for _, pool in parts}
        if len(pools) > 1:
            raise ValueError(f"Combination {name!r} mixes pool modes {sorted(pools)}")
        settings = {}
        for part_settings, _ in parts:
            settings.update(part_settings)
        return settings, pools.pop()
    if name not in VARIANTS:
        known = list(VARIANTS) + list(COMBINATIONS)
        raise ValueError(f"Unknown variant {name!r}; known: {known}. Received: variants=[..., {name!r}, ...]")
    _, extra, pool = VARIANTS[name]
    return {"feature_d": feature_d, "learning_rate": learning_rate, **extra}, pool


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
    """Mean over tasks, and its spread over probe seeds (per seed, average the tasks)."""
    per_seed = np.mean(np.stack([t["scores"] for t in result["tasks"].values()]), axis=0)
    return float(per_seed.mean()), float(per_seed.std())


def _pretrain(settings, paths, run_dir, *, epochs, minutes, batch_size, seed, verbose):
    from keras_audio_ssl.recipes import byola
    from keras_audio_ssl.recipes.callbacks import TimeBudget

    started = time.time()
    _, history = byola.fit(paths, output_dir=run_dir, epochs=epochs, batch_size=min(batch_size, len(paths)),
                           seed=seed, callbacks=[TimeBudget(minutes)], verbose=verbose,
                           norm_stats_samples=min(10000, len(paths)), **settings)
    return len(history.history.get("loss", [])), (time.time() - started) / 60.0


def _random_result(key, stats, tasks, out, probe, seed):
    """The random-init baseline for `key` (width, mel scale, init), probed once and kept."""
    from quality import random_embedding_model

    feature_d, mel_scale, initialization = key
    path = os.path.join(out, "results", f"random_d{feature_d}_{mel_scale}_{initialization}.json")
    cached = _read(path)
    if cached is not None:
        return cached
    model = random_embedding_model("audio_ntt2020", feature_d, stats, seed, initialization, mel_scale)
    result = probe(model, "random")
    _write(path, result)
    return result


def run(benchmark=None, *, output="results/ablation", variants=GRID, curve=(), curve_variant="default",
        build_size="small", epochs=100, minutes=5.0, feature_d=512, batch_size=64, probe_runs=3, probe_epochs=200, clip_length="unit", seed=0,
        verbose=2):
    import tensorflow as tf

    from keras_audio_ssl.encoders import load_embedding_model
    from keras_audio_ssl.evaluation import load_tasks
    from keras_audio_ssl.evaluation import to_markdown
    from quality import _ensure_benchmark

    for name in (*variants, curve_variant):
        variant_settings(name, feature_d)  # unknown names fail before any training
    if any(not m > 0 for m in curve) or list(curve) != sorted(set(curve)):
        raise ValueError(f"--curve takes increasing positive minutes. Received: curve={list(curve)}")
    tf.get_logger().setLevel("ERROR")
    if benchmark is None:
        benchmark = os.path.join(output, "bench")
    _ensure_benchmark(benchmark, build_size, seed)
    tasks = load_tasks(benchmark)
    os.makedirs(os.path.join(output, "results"), exist_ok=True)

    def probe(model, name):
        return _probe(model, name, tasks, probe_runs, probe_epochs, seed, clip_length)

    # (row name, variant, run directory, minutes of this point or None for the fixed budget)
    points = [(name, name, os.path.join(output, "runs", _slug(name)), None) for name in variants]
    # The curve continues its variant's run (that row is its first point) when it is in the grid.
    continues_run = curve_variant in variants
    if continues_run and curve and curve[0] <= minutes:
        raise ValueError(f"The curve continues the {curve_variant!r} variant's {minutes:g}-min run: its points must "
                         f"be longer. Received: curve={list(curve)}, minutes={minutes:g}")
    curve_dir = os.path.join(output, "runs", _slug(curve_variant) if continues_run else f"curve_{_slug(curve_variant)}")
    points += [(f"{curve_variant} @ {m:g} min", curve_variant, curve_dir, m) for m in curve]
    rows, trained_curve = [], 0.0
    for row_name, variant, run_dir, point in points:
        settings, pool_mode = variant_settings(variant, feature_d)
        result_path = os.path.join(output, "results", f"{_slug(row_name)}.json")
        result = _read(result_path)
        if result is None:
            paths = pool_paths(benchmark, pool_mode, seed)
            budget = minutes if point is None else point - trained_curve
            print(f"[ablation] {row_name}: {describe(variant)}; {len(paths)} pool clips ({pool_composition(paths)}), "
                  f"<= {epochs if point is None else 10 ** 4} epochs, <= {budget:g} min", flush=True)
            n_epochs, spent = _pretrain(settings, paths, run_dir, epochs=epochs if point is None else 10 ** 4,
                                        minutes=budget, batch_size=batch_size, seed=seed, verbose=verbose)
            result = probe(load_embedding_model(run_dir), row_name)
            result.update(epochs=n_epochs, minutes=round(spent + (trained_curve if point else 0.0), 2),
                          settings=settings, pool=pool_mode, pool_clips=len(paths),
                          normalization=_read(os.path.join(run_dir, "normalization.json")))
            _write(result_path, result)
        if point is not None or (row_name == curve_variant and continues_run):
            trained_curve = result["minutes"]
        baseline = _random_result(random_key(result["settings"]), result["normalization"], tasks, output, probe, seed)
        rows.append((row_name, variant, result, baseline))

    table = summary_table(rows)
    budget_line = (f"Budget: AudioNTT2020, batch {batch_size}, at most {epochs} epochs and {minutes:g} min of "
                   f"pretraining per variant on {benchmark}'s pool; linear probe x {probe_runs} seeds "
                   f"({'unit-length crops, BYOL-A protocol' if clip_length == 'unit' else 'whole clips'}); random = "
                   "the same architecture, width, mel scale and initialization, untrained.")
    table.to_csv(os.path.join(output, "ablation.csv"), index=False)
    markdown = to_markdown(table)
    with open(os.path.join(output, "ablation.md"), "w") as f:
        f.write(f"# BYOL-A ablation on {benchmark}\n\n{cpu_info.stamp_line()}\n\n{budget_line}\n\n{markdown}\n")
    print("\n" + budget_line + "\n\n" + markdown, flush=True)
    table.attrs["budget_line"] = budget_line
    return table


def write_docs(table, out_dir, *, command=None, quick=False):
    """The table as `docs/results/ablation.md`; each variant's average against its pretraining minutes,
    beside its random encoder, as `ablation.png`."""
    from keras_audio_ssl.evaluation import to_markdown
    from results import new_figure
    from results import write_results

    figure = new_figure(7.0, 4.2)
    ax = figure.add_subplot()
    ax.errorbar(table["minutes"], table["average"], yerr=table["± seeds"], fmt="o", capsize=3, label="pretrained")
    ax.scatter(table["minutes"], table["random"], marker="_", s=200, color="grey", label="its random encoder")
    for _, row in table.iterrows():
        ax.annotate(row["variant"], (row["minutes"], row["average"]), fontsize="x-small",
                    xytext=(4, 2), textcoords="offset points")
    ax.set_xlabel("pretraining minutes")
    ax.set_ylabel("average linear-probe score")
    ax.set_title("BYOL-A variants: quality vs pretraining time")
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3)
    write_results("ablation", table.attrs.get("budget_line", "") + "\n\n" + to_markdown(table), figure, out_dir,
                  command=command, note="--quick: a smoke test, not a measurement" if quick else None)


def summary_table(rows):
    """One row per (name, variant, result, random baseline): per-task scores, the average ± its
    spread over probe seeds, the matched random average, the margin and the difference from default."""
    default = next((result for name, _, result, _ in rows if name == "default"), None)
    default_average = _average(default)[0] if default else None
    table = []
    for name, variant, result, baseline in rows:
        average, spread = _average(result)
        random_average, _ = _average(baseline)
        row = {"variant": name, "changes": describe(variant), "epochs": result["epochs"],
               "minutes": result["minutes"]}
        row.update({task: round(v["score"], 4) for task, v in result["tasks"].items()})
        row.update({"average": round(average, 4), "± seeds": round(spread, 4), "random": round(random_average, 4),
                    "margin": round(average - random_average, 4),
                    "vs default": None if default_average is None else round(average - default_average, 4)})
        worst = min(v["score"] - baseline["tasks"][t]["score"] for t, v in result["tasks"].items())
        row["worst task vs random"] = round(worst, 4)
        table.append(row)
    return pd.DataFrame(table)


def main(argv=None):
    from results import add_write_docs_argument
    from results import command_line

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--benchmark", default=None, help="offline benchmark folder (built there if empty)")
    parser.add_argument("--variants", nargs="*", default=list(GRID),
                        help=f"of {list(VARIANTS)} and the combinations {list(COMBINATIONS)}")
    parser.add_argument("--curve", nargs="*", type=float, default=[], help="minutes of the quality-vs-minutes curve")
    parser.add_argument("--curve-variant", default="default", help="the variant whose run the curve continues")
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
        for name, (what, settings, pool) in VARIANTS.items():
            print(f"{name:20s} {what}: {settings or '-'}{'' if pool == 'benchmark' else f', pool {pool}'}")
        for name, (what, parts) in COMBINATIONS.items():
            print(f"{name:20s} {what}: {' + '.join(parts)} -> {variant_settings(name, args.feature_d)[0]}")
        return 0
    print(cpu_info.stamp_line(), flush=True)
    settings = dict(variants=args.variants, curve=args.curve, curve_variant=args.curve_variant,
                    build_size=args.build_size, epochs=args.epochs,
                    minutes=args.minutes, feature_d=args.feature_d, batch_size=args.batch_size,
                    probe_runs=args.probe_runs, probe_epochs=args.probe_epochs)
    if args.quick:
        settings.update(QUICK)
    try:
        table = run(args.benchmark, output=args.output, clip_length=args.clip_length, seed=args.seed,
                    verbose=0 if args.quick else 2, **settings)
    except ValueError as error:
        print(f"ablation.py: error: {error}", file=sys.stderr)
        return 2
    if args.write_docs:
        write_docs(table, args.write_docs, command=command_line("ablation", argv), quick=args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
