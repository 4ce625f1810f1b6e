"""What more data buys: quality.py at several pretraining-pool sizes, the same wall-clock budget per method.

    python benchmarks/data_size.py --benchmark DIR [--pools benchmark full] [--seeds 3]
        [--methods byol-a cola simclr multi-strategy] [--minutes 5 --epochs 100]
        [--feature-d 512] [--batch-size 64] [--probe-runs 3] [--output results/data_size] [--write-docs]
    python benchmarks/data_size.py --quick       # CI size: the tiny benchmark's pool, half of it and all

Each pool is one `--pools` entry, optionally `:N` (N clips drawn from it, seeded):

- `benchmark`: the offline benchmark's own pool (565 clips in the `small` build);
- a build size (`tiny`, `small`, `full`): the pool alone built at that size from the same
  Debian packages (real speech and music; `full` is every clip, ~7x `small`), under
  `--output`/pools/<size> (built once; `tools/make_offline_benchmark.py --tasks pretrain_pool`);
- a folder with a `pretrain_pool.csv`.

At every pool, `quality.py`'s `run` pretrains each method over `--seeds` seeds within the same
`--minutes` (and at most `--epochs` epochs) and probes it, and the random encoder, on the
benchmark's tasks with the BYOL-A linear protocol (the tasks are the same for every pool; no
pool shares a source with a task). The table gives, per pool and row, the average score's mean
over seeds ± its 95 % interval and the margin over the random encoder with Welch's interval and
its verdict; the plot shows quality against pool size and against pretraining minutes, per
method, beside the random encoder. Reported as measured, whichever way it comes out.
"""

import argparse
import os
import sys

import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from keras_audio_ssl import cpu_info  # noqa: E402 (after the path and the log level)

METHODS = ("byol-a", "cola", "simclr", "multi-strategy")
BUILD_SIZES = ("tiny", "small", "full")
QUICK = dict(build_size="tiny", pools=("benchmark:12", "benchmark"), methods=("byol-a",), epochs=1, minutes=5.0,
             feature_d=32, batch_size=8, probe_runs=2, probe_epochs=40, seeds=2)


def parse_pool(spec):
    """`(source, clips or None)` of a `--pools` entry: `benchmark`, a build size or a folder, `:N` optional."""
    source, sep, clips = str(spec).rpartition(":") if ":" in str(spec) else (str(spec), "", "")
    if not sep:
        return source, None
    if not clips.isdigit() or int(clips) < 1:
        raise ValueError(f"A pool's clip count must be a positive integer. Received: pools=[..., {spec!r}, ...]")
    return source, int(clips)


def pool_folder(source, benchmark, output, seed):
    """The folder whose `pretrain_pool.csv` a pool reads; a build size's pool is built there first."""
    if source == "benchmark":
        return benchmark
    if source in BUILD_SIZES:
        folder = os.path.join(output, "pools", source)
        if not os.path.isfile(os.path.join(folder, "benchmark.json")):
            from keras_audio_ssl_tools.offline_benchmark import build_offline_benchmark

            print(f"[data-size] building the {source} pool in {folder}", flush=True)
            build_offline_benchmark(folder, size=source, workers=os.cpu_count() or 1, seed=seed,
                                    tasks=["pretrain_pool"])
        return folder
    if not os.path.isfile(os.path.join(source, "pretrain_pool.csv")):
        raise ValueError(f"A pool is 'benchmark', one of {BUILD_SIZES} or a folder with pretrain_pool.csv. "
                         f"Received: pools=[..., {source!r}, ...]")
    return source


def summary_rows(label, result, methods):
    """One row per method and one for the random encoder at one pool: the average's mean ± 95 %
    half width, and for methods the margin ± Welch half width and its verdict."""
    from quality import _margin

    average = result["table"].set_index("task").loc["average"]
    rows = []
    for name in (*methods, "random"):
        row = {"pool": label, "clips": result["pool_clips"], "row": name,
               "minutes": round(result["minutes"].get(name, 0.0), 2),
               "average": round(float(average[name]), 4), "± 95 %": _round(average[f"{name} ±"])}
        if name != "random":
            margin = _margin(name, methods)
            row.update({"margin": round(float(average[margin]), 4), "margin ±": _round(average[f"{margin} ±"]),
                        "vs random": average[f"{margin} verdict"]})
        rows.append(row)
    return rows


def _round(value):
    return None if pd.isna(value) else round(float(value), 4)


def run(benchmark=None, *, output="results/data_size", pools=("benchmark", "full"), methods=METHODS, seeds=3,
        build_size="small", epochs=100, minutes=5.0, feature_d=512, batch_size=64, probe_runs=3, probe_epochs=200,
        frame_tasks=False, seed=0, verbose=2):
    import quality

    parsed = [parse_pool(p) for p in pools]  # bad entries fail before any training
    unknown = [m for m in methods if m not in quality.METHODS]
    if unknown:
        raise ValueError(f"Unknown methods {unknown}; known: {sorted(quality.METHODS)}. Received: methods={list(methods)}")
    if benchmark is None:
        benchmark = os.path.join(output, "bench")
    quality._ensure_benchmark(benchmark, build_size, seed)
    rows = []
    for spec, (source, clips) in zip(pools, parsed):
        folder = pool_folder(source, benchmark, output, seed)
        label = spec
        print(f"[data-size] pool {label}: {folder}", flush=True)
        result = quality.run(benchmark, output=os.path.join(output, "".join(c if c.isalnum() else "_" for c in label)),
                             methods=tuple(methods), epochs=epochs, minutes=minutes, feature_d=feature_d,
                             batch_size=batch_size, pool_clips=clips, probe_runs=probe_runs, probe_epochs=probe_epochs,
                             seed=seed, seeds=seeds, verbose=verbose, frame_tasks=frame_tasks, pool=folder)
        rows += summary_rows(label, result, list(methods))
    table = pd.DataFrame(rows)
    budget_line = (f"Budget: at most {epochs} epochs and {minutes:g} min of pretraining per method, pool and seed, "
                   f"AudioNTT2020 d={feature_d}, batch {batch_size}; {seeds} pretraining seeds per row (mean ± 95 % "
                   f"t-interval; margins over the random encoder with Welch's interval, called only where it excludes "
                   f"0); tasks: {benchmark}'s, linear probe x {probe_runs} seeds per pretraining seed (BYOL-A protocol).")
    from keras_audio_ssl.evaluation import to_markdown

    os.makedirs(output, exist_ok=True)
    table.to_csv(os.path.join(output, "data_size.csv"), index=False)
    markdown = to_markdown(table)
    with open(os.path.join(output, "data_size.md"), "w") as f:
        f.write(f"# Quality vs pool size on {benchmark}\n\n{cpu_info.stamp_line()}\n\n{budget_line}\n\n{markdown}\n")
    print("\n" + budget_line + "\n\n" + markdown, flush=True)
    table.attrs["budget_line"] = budget_line
    return table


def write_docs(table, out_dir, *, command=None, quick=False):
    """The table as `docs/results/data_size.md`; the average (95 % interval) against pool clips and
    against pretraining minutes, per method, the random encoder dashed, as `data_size.png`."""
    from keras_audio_ssl.evaluation import to_markdown
    from results import new_figure
    from results import write_results

    figure = new_figure(9.0, 4.0)
    by_size, by_minutes = figure.subplots(1, 2, sharey=True)
    for name, group in table.groupby("row", sort=False):
        group = group.sort_values("clips")
        style = dict(color="grey", linestyle="--") if name == "random" else {}
        error = group["± 95 %"].astype(float).fillna(0.0)
        by_size.errorbar(group["clips"], group["average"], yerr=error, marker="o", capsize=3, label=name, **style)
        if name != "random":
            by_minutes.errorbar(group["minutes"], group["average"], yerr=error, fmt="o", capsize=3, label=name)
            for _, row in group.iterrows():
                by_minutes.annotate(f"{row['clips']}", (row["minutes"], row["average"]), fontsize="x-small",
                                    xytext=(4, 2), textcoords="offset points")
    for _, row in table[table["row"] == "random"].iterrows():
        by_minutes.axhline(row["average"], color="grey", linestyle="--", linewidth=0.8)
    by_size.set_xscale("log")
    by_size.set_xlabel("pretraining pool clips")
    by_size.set_ylabel("average linear-probe score")
    by_minutes.set_xlabel("pretraining minutes (labels: pool clips; dashed: random)")
    by_size.set_title("quality vs pool size")
    by_minutes.set_title("quality vs minutes")
    by_size.legend(fontsize="small")
    for ax in (by_size, by_minutes):
        ax.grid(alpha=0.3)
    write_results("data_size", table.attrs.get("budget_line", "") + "\n\n" + to_markdown(table), figure, out_dir,
                  command=command, note="--quick: a smoke test, not a measurement" if quick else None)


def main(argv=None):
    from results import add_write_docs_argument
    from results import run_and_write

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--benchmark", default=None, help="offline benchmark folder (built there if empty)")
    parser.add_argument("--pools", nargs="+", default=["benchmark", "full"],
                        help=f"pools: 'benchmark', a build size {BUILD_SIZES} or a folder, each optionally ':N' clips")
    parser.add_argument("--methods", nargs="+", default=list(METHODS))
    parser.add_argument("--build-size", choices=BUILD_SIZES, default="small", help="of --benchmark, if built here")
    parser.add_argument("--output", default="results/data_size")
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--minutes", type=float, default=5.0, help="pretraining budget per method, pool and seed")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--feature-d", type=int, default=512)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--probe-runs", type=int, default=3)
    parser.add_argument("--probe-epochs", type=int, default=200)
    parser.add_argument("--frame-tasks", action="store_true", help="also the SED and pitch_88 rows (slow)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="CI size: tiny benchmark, byol-a, two pool sizes")
    add_write_docs_argument(parser)
    args = parser.parse_args(argv)
    print(cpu_info.stamp_line(), flush=True)
    settings = dict(pools=args.pools, methods=args.methods, seeds=args.seeds, build_size=args.build_size,
                    epochs=args.epochs, minutes=args.minutes, feature_d=args.feature_d, batch_size=args.batch_size,
                    probe_runs=args.probe_runs, probe_epochs=args.probe_epochs)
    if args.quick:
        settings.update(QUICK)

    def compute():
        return run(args.benchmark, output=args.output, frame_tasks=args.frame_tasks, seed=args.seed,
                   verbose=0 if args.quick else 2, **settings)

    return run_and_write("data_size", compute, write_docs, args, argv)


if __name__ == "__main__":
    sys.exit(main())
