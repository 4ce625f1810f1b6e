"""BYOL-A under mixed precision: train-step speed per dtype policy, and the loss curve against float32.

    python benchmarks/mixed_precision.py [--policies float32 mixed_bfloat16 mixed_float16]
        [--feature-d 512 2048] [--batch-size 64] [--cycles 12] [--jit-compile off|on]
        [--epochs 6] [--clips 1024] [--seed 0] [--skip-speed] [--skip-loss] [--threads N]

Speed: the steps `benchmarks/throughput.py` times -- (c) `step_function` (`bench_step`'s): BYOL-A's
step on pre-made log-mel views (forward/backward, Adam, EMA), and (d) `end_to_end_function`
(`bench_end_to_end`'s): `train_on_batch` on raw waveforms (log-mel, augmentation, post-normalization
included) -- one model per policy in one process, timed one step at a time in turn (`--cycles`
times, the order rotated every cycle), so that load from other processes falls on neighbouring steps
of every policy alike. Printed per row: clips/s from the median step time (and from the quartiles),
and the ratio to float32 (median and quartiles of the per-cycle ratios), then how much float32's
step time varied: on a shared machine read the ratios, not the rates.

Loss: `recipes.byola.fit` on the built-in corpus (`keras_audio_ssl.synthetic`, drawn as
`keras_audio_ssl.demo` draws it; by default the demo's full size: 1,024 clips of 0.95 s, d=512,
batch 64, 6 epochs), once per policy with the same seed -- the same initial weights, batches and
augmentation draws -- and once more in float32 with the next seed, as a yardstick: the per-epoch
loss side by side, and each run's largest difference to float32.
"""

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # throughput.py, beside this file

from keras_audio_ssl.precision import POLICIES  # noqa: E402 (after the log level)
PARTS = ("(c) train step", "(d) end to end")


def _rotated(items, shift):
    shift %= len(items)
    return list(items[shift:]) + list(items[:shift])


def measure_speed(policies, feature_ds, batch_size, cycles, jit=False, warmup=2):
    """`{(part, d): {policy: [seconds of one step, per cycle]}}` (None for a policy whose step failed to build).

    Every policy's step is built once and warmed up, then the policies take one step each in turn
    (order rotated every cycle), `cycles` times: a change of load falls on neighbouring steps of
    every policy alike, and each cycle gives one ratio to float32.
    """
    import throughput

    makers = {PARTS[0]: throughput.step_function, PARTS[1]: throughput.end_to_end_function}
    times = {}
    for d in feature_ds:
        for part in PARTS:
            steps = {}
            for policy in policies:
                try:
                    steps[policy] = makers[part](d, batch_size, jit, dtype_policy=policy)
                    for _ in range(warmup):  # tracing, and Adam's slots
                        steps[policy]()
                except Exception as e:  # noqa: BLE001 - reported in the table, the other policies still run
                    print(f"  {part} d={d} {policy} FAILED: {type(e).__name__}: {str(e).splitlines()[0][:200]}")
                    steps[policy] = None
            per_step = {policy: [] for policy in policies}
            for cycle in range(cycles):
                for policy in _rotated(policies, cycle):
                    if steps[policy] is not None:
                        start = time.perf_counter()
                        steps[policy]()
                        per_step[policy].append(time.perf_counter() - start)
            times[(part, d)] = {p: (v if steps[p] is not None else None) for p, v in per_step.items()}
            print(f"  measured {part} d={d}: " + ", ".join(
                f"{p} {batch_size / statistics.median(v):.1f} clips/s" for p, v in times[(part, d)].items() if v),
                flush=True)
            del steps
            _release()
    return times


def _quartiles(values):
    if len(values) < 2:
        return values[0], values[0], values[0]
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, median, q3


def speed_rows(times, policies, batch_size):
    """`(part, d, B, policy, "clips/s median (IQR)", "x float32 median (IQR)", median ratio or None)` per row."""
    rows = []
    for (part, d), per_step in times.items():
        for policy in policies:
            seconds = per_step[policy]
            if not seconds:
                rows.append((part, d, batch_size, policy, "failed", "", None))
                continue
            q1, median, q3 = _quartiles(seconds)
            rate = f"{batch_size / median:.1f} ({batch_size / q3:.1f}-{batch_size / q1:.1f})"
            ratio, r = "", None
            if policy != "float32" and per_step.get("float32"):
                ratios = [f / t for f, t in zip(per_step["float32"], seconds, strict=True)]
                r1, r, r3 = _quartiles(ratios)
                ratio = f"{r:.2f} ({r1:.2f}-{r3:.2f})"
            rows.append((part, d, batch_size, policy, rate, ratio, r))
    return rows


def print_speed_table(times, policies, batch_size):
    print(f"\n{'part':<16} {'d':>5} {'B':>4} {'policy':<15} {'clips/s median (IQR)':>22} "
          f"{'x float32 median (IQR)':>24}")
    for part, d, b, policy, rate, ratio, _ in speed_rows(times, policies, batch_size):
        print(f"{part:<16} {d:>5} {b:>4} {policy:<15} {rate:>22} {ratio:>24}")
    noisy = [(key, per_step["float32"]) for key, per_step in times.items() if len(per_step.get("float32") or []) > 1]
    if noisy:
        parts = []
        for (part, d), seconds in noisy:
            q1, median, q3 = _quartiles(seconds)
            parts.append(f"{part} d={d}: max/min x{max(seconds) / min(seconds):.2f}, "
                         f"IQR {100 * (q3 - q1) / median:.0f} % of the median")
        print("Noise, float32's step time over the cycles: " + "; ".join(parts))


def loss_curves(runs, *, epochs, clips, batch_size, feature_d, steps_per_epoch=None):
    """`{label: (per-epoch losses, seconds)}` of `recipes.byola.fit` on the synthetic corpus, one per
    `(label, policy, seed)` in `runs`; the corpus is drawn with the first run's seed."""
    from keras_audio_ssl import synthetic
    from keras_audio_ssl.recipes import byola

    pool = synthetic.make_unlabeled_corpus(clips, seconds=0.95, seed=runs[0][2])
    curves = {}
    for label, policy, seed in runs:
        with tempfile.TemporaryDirectory(prefix="byola_mixed_") as output_dir:
            start = time.perf_counter()
            _, history = byola.fit(
                pool, output_dir=output_dir, feature_d=feature_d, epochs=epochs, batch_size=batch_size,
                memory_size=min(2048, clips), norm_stats_samples=clips, steps_per_epoch=steps_per_epoch,
                seed=seed, jit_compile=False, dtype_policy=policy, verbose=0,
            )
            curves[label] = (list(history.history["loss"]), time.perf_counter() - start)
        print(f"  trained {label}: {epochs} epochs in {curves[label][1]:.0f} s", flush=True)
        _release()
    return curves


def print_loss_table(curves, reference="float32"):
    labels = list(curves)
    others = [label for label in labels if label != reference]
    print("\n" + f"{'epoch':>5} " + " ".join(f"{label:>16}" for label in labels) + " "
          + " ".join(f"{label + ' - ' + reference:>26}" for label in others))
    epochs = len(curves[reference][0])
    for epoch in range(epochs):
        base = curves[reference][0][epoch]
        print(f"{epoch + 1:>5} " + " ".join(f"{curves[label][0][epoch]:>16.4f}" for label in labels) + " "
              + " ".join(f"{curves[label][0][epoch] - base:>+26.4f}" for label in others))
    for label in others:
        differences = [abs(a - b) for a, b in zip(curves[label][0], curves[reference][0], strict=True)]
        worst = max(range(epochs), key=lambda e: differences[e])
        print(f"max |{label} - {reference}| = {differences[worst]:.4f} (epoch {worst + 1}, "
              f"{100 * differences[worst] / abs(curves[reference][0][worst]):.1f} % of {reference}'s loss)")
    print("Wall times (sequential runs, not interleaved: not a speed comparison): "
          + ", ".join(f"{label} {seconds:.0f} s" for label, (_, seconds) in curves.items()))


def _release():
    import keras

    keras.backend.clear_session()
    gc.collect()


def main(argv=None):
    from keras_audio_ssl.demo import FULL
    from results import add_write_docs_argument

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--policies", nargs="+", choices=POLICIES, default=list(POLICIES))
    parser.add_argument("--feature-d", type=int, nargs="+", default=[512, 2048], help="widths for the speed table")
    parser.add_argument("--batch-size", type=int, default=64, help="clips per step, both tables")
    parser.add_argument("--cycles", type=int, default=12, help="timed steps per policy, taken in turn")
    parser.add_argument("--jit-compile", choices=("off", "on"), default="off")
    parser.add_argument("--epochs", type=int, default=FULL["epochs"], help="loss table: epochs per policy")
    parser.add_argument("--clips", type=int, default=FULL["pool_clips"], help="loss table: synthetic clips")
    parser.add_argument("--loss-feature-d", type=int, default=FULL["feature_d"], help="loss table: width")
    parser.add_argument("--steps-per-epoch", type=int, default=None, help="loss table: default one pass")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-seed-reference", action="store_true",
                        help="loss table: skip the float32 run with seed + 1 (the yardstick for the differences)")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-loss", action="store_true")
    parser.add_argument("--threads", type=int, default=None, help="TF intra/inter-op threads (default: TF's)")
    add_write_docs_argument(parser)
    args = parser.parse_args(argv)

    import tensorflow as tf

    if args.threads:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    from keras_audio_ssl import cpu_info

    print(cpu_info.stamp_line())
    print(f"oneDNN {os.environ.get('TF_ENABLE_ONEDNN_OPTS', 'default (on)')}")
    times = curves = None
    if not args.skip_speed:
        print(f"Speed: BYOL-A AudioNTT2020, B={args.batch_size}, {args.cycles} cycles of one step per policy, "
              f"jit_compile={args.jit_compile}")
        times = measure_speed(args.policies, args.feature_d, args.batch_size, args.cycles, args.jit_compile == "on")
        print_speed_table(times, args.policies, args.batch_size)
    if not args.skip_loss:
        print(f"\nLoss: recipes.byola.fit, d={args.loss_feature_d}, {args.clips} synthetic clips, "
              f"batch {args.batch_size}, {args.epochs} epochs, seed {args.seed}")
        runs = [(policy, policy, args.seed) for policy in args.policies]
        if not args.no_seed_reference:
            # What another seed alone changes (initial weights, batches, augmentation draws).
            runs.append((f"float32 seed {args.seed + 1}", "float32", args.seed + 1))
        curves = loss_curves(runs, epochs=args.epochs, clips=args.clips, batch_size=args.batch_size,
                             feature_d=args.loss_feature_d, steps_per_epoch=args.steps_per_epoch)
        print_loss_table(curves, reference=runs[0][0])
    if args.write_docs:
        write_docs(times, curves, args, argv)
    return 0


def write_docs(times, curves, args, argv=None):
    """The speed and loss tables as `docs/results/mixed_precision.md`; speed ratios and loss curves as a plot."""
    from results import bar_chart
    from results import command_line
    from results import markdown_table
    from results import new_figure
    from results import write_results

    parts, figure = [], new_figure(8.0, 3.6)
    left, right = figure.subplots(1, 2)
    if times is not None:
        rows = speed_rows(times, args.policies, args.batch_size)
        parts += [f"Speed: BYOL-A AudioNTT2020, {args.cycles} cycles of one step per policy taken in turn "
                  f"(jit_compile={args.jit_compile}):",
                  markdown_table(["part", "d", "B", "policy", "clips/s median (IQR)", "x float32 median (IQR)"],
                                 [row[:6] for row in rows])]
        ratios = [row for row in rows if row[6] is not None]
        bar_chart(left, [f"{part[:3]} d={d}\n{policy}" for part, d, _, policy, *_ in ratios],
                  {"x float32": [row[6] for row in ratios]}, "clips/s relative to float32", "speed")
    if curves is not None:
        labels = list(curves)
        epochs = len(curves[labels[0]][0])
        parts += [f"Loss per epoch: recipes.byola.fit, d={args.loss_feature_d}, {args.clips} synthetic clips, "
                  f"batch {args.batch_size}:",
                  markdown_table(["epoch", *labels],
                                 [(e + 1, *(f"{curves[label][0][e]:.4f}" for label in labels)) for e in range(epochs)])]
        for label in labels:
            right.plot(range(1, epochs + 1), curves[label][0], marker="o", label=label)
        right.set_xlabel("epoch")
        right.set_ylabel("BYOL loss")
        right.set_title("loss per policy")
        right.legend(fontsize="small")
    write_results("mixed_precision", "\n\n".join(parts), figure, args.write_docs,
                  command=command_line("mixed_precision", argv))


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sys.exit(main())
