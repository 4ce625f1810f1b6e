"""BYOL-A's training step under several settings, timed in interleaved rounds: ratios a busy machine keeps.

    python benchmarks/interleaved.py --setting default --setting "avx2: ONEDNN_MAX_CPU_ISA=AVX2" \\
        [--setting "before: tree=/path/to/an/older/checkout"] [--feature-d 512] [--batch-size 64] \\
        [--rounds 5] [--steps 3]

Each `--setting` is `name: KEY=VALUE ...` (name alone: this checkout as it is). A KEY in capitals is an
environment variable of that setting's process (oneDNN's `ONEDNN_MAX_CPU_ISA`, `TF_ENABLE_ONEDNN_OPTS`,
`OMP_NUM_THREADS`, ...: TensorFlow reads them once, at start); the lower-case keys are
`tree=DIR` (the checkout whose `keras_audio_ssl` and `benchmarks/throughput.py` run, e.g. a worktree
of an older commit), `jit=on|off`, `intra=N` and `inter=N` (TensorFlow's thread pools).

Every setting runs in its own worker process that builds `throughput.step_function` (the (c) step:
pre-made log-mel views, forward/backward, Adam, EMA) under the same seed and reports the losses of
its first steps; then the driver asks the workers in turn for `--steps` timed steps, `--rounds`
times, so every setting sees the same moments of the machine's load. It prints each setting's
clips/s (median and range over rounds), its ratio to the first setting per round (median and
range), and the largest difference of its losses from the first setting's: a lever that changes
the numbers beyond float tolerance shows there. `--peak` adds each setting's float32 GEMM peak,
measured in that setting's process after every round (an ISA cap such as `ONEDNN_MAX_CPU_ISA=AVX2
MKL_ENABLE_INSTRUCTIONS=AVX2 OPENBLAS_CORETYPE=Haswell` lowers it as it lowers the step), and the
step's % of it: the best round's clips/s x GFLOP/clip (`flops.py`) / the best GEMM GFLOP/s, the
two least disturbed figures of a shared machine.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CHECKED_STEPS = 3  # steps whose losses are compared across settings (also the warm-up)


def parse_setting(text):
    """`"name: KEY=V key=v"` -> (name, env, options); raises ValueError naming the bad part."""
    name, _, rest = text.partition(":")
    name = name.strip()
    if not name:
        raise ValueError(f"a setting starts with its name. Received: setting={text!r}")
    env, options = {}, {}
    for item in rest.split():
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"setting items are KEY=VALUE. Received: setting={text!r}")
        if key.isupper():
            env[key] = value
        elif key in ("tree", "jit", "intra", "inter"):
            options[key] = value
        else:
            raise ValueError(f"unknown setting key {key!r}; lower-case keys are tree, jit, intra, inter. "
                             f"Received: setting={text!r}")
    if options.get("jit", "off") not in ("on", "off"):
        raise ValueError(f"jit is on or off. Received: setting={text!r}")
    return name, env, options


def _worker(args):
    """A setting's process: build the step, report the first losses, then time steps on request."""
    tree = os.path.abspath(args.tree)
    sys.path[:0] = [os.path.join(tree, "benchmarks"), tree]
    import tensorflow as tf

    if args.intra:
        tf.config.threading.set_intra_op_parallelism_threads(args.intra)
    if args.inter:
        tf.config.threading.set_inter_op_parallelism_threads(args.inter)
    import keras

    import throughput

    gflop = gemm = 0.0
    if args.peak:  # in this setting's process: its environment (e.g. an ISA cap) shapes the GEMM too
        gflop = throughput.step_gflop_per_clip(throughput.DEFAULT_ENCODER, args.feature_d)
        gemm = _gemm(throughput, args)
    keras.utils.set_random_seed(0)
    step = throughput.step_function(args.feature_d, args.batch_size, args.jit == "on")
    losses = [float(step()) for _ in range(CHECKED_STEPS)]
    import keras_audio_ssl

    print("ready", os.path.dirname(keras_audio_ssl.__file__), gflop, gemm, *losses, flush=True)
    for line in sys.stdin:
        if not line.strip():
            break
        n = int(line)
        start = time.perf_counter()
        for _ in range(n):
            step()
        seconds = time.perf_counter() - start
        print(seconds, _gemm(throughput, args) if args.peak else 0.0, flush=True)


def _gemm(throughput, args):
    """This process's float32 GEMM peak (2048², best of tf/numpy/torch), with the setting's thread count."""
    try:
        return throughput.gemm_gflops(2048, repeats=2, threads=args.intra)
    except TypeError:  # an older tree's gemm_gflops takes no thread count
        return throughput.gemm_gflops(2048, repeats=2)


def _start(name, env, options, args):
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", "--tree", options.get("tree", os.path.dirname(HERE)),
           "--feature-d", str(args.feature_d), "--batch-size", str(args.batch_size), "--jit", options.get("jit", "off")]
    for key in ("intra", "inter"):
        if key in options:
            cmd += [f"--{key}", options[key]]
    if args.peak:
        cmd.append("--peak")
    child_env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", **env)
    child_env.pop("PYTHONPATH", None)  # the worker's tree goes first on its own path
    return subprocess.Popen(cmd, env=child_env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def _read(worker, name):
    line = worker.stdout.readline()
    if not line:
        raise RuntimeError(f"the worker of setting {name!r} stopped (see its error above)")
    return line.split()


def run(settings, args):
    from keras_audio_ssl import cpu_info

    print(cpu_info.stamp_line(), flush=True)
    workers = {}
    losses = {}
    peaks = {}
    try:
        for name, env, options in settings:  # started one after the other: building competes for the cores
            workers[name] = _start(name, env, options, args)
            ready = _read(workers[name], name)
            peaks[name] = (float(ready[2]), float(ready[3]))
            losses[name] = [float(v) for v in ready[4:]]
            print(f"{name}: {ready[1]}; env {env or '-'}; {options or '-'}; first losses "
                  + " ".join(f"{v:.6f}" for v in losses[name])
                  + (f"; {peaks[name][0]:.3f} GFLOP/clip, GEMM peak {peaks[name][1]:.1f} GFLOP/s" if args.peak else ""),
                  flush=True)
        rates = {name: [] for name in workers}
        for r in range(args.rounds):
            for name, worker in workers.items():
                worker.stdin.write(f"{args.steps}\n")
                worker.stdin.flush()
                seconds, gemm = (float(v) for v in _read(worker, name))
                rates[name].append(args.batch_size * args.steps / seconds)
                peaks[name] = (peaks[name][0], max(peaks[name][1], gemm))
            print(f"round {r + 1}: " + ", ".join(f"{n} {v[-1]:.1f}" for n, v in rates.items()) + " clips/s", flush=True)
    finally:
        for worker in workers.values():
            if worker.poll() is None:
                worker.stdin.close()
                worker.wait(timeout=60)
    first = settings[0][0]
    rows = []
    for name, values in rates.items():
        ratios = [v / b for v, b in zip(values, rates[first])]
        diff = max(abs(a - b) for a, b in zip(losses[name], losses[first]))
        row = (name, f"{statistics.median(values):.1f}", f"{min(values):.1f}–{max(values):.1f}",
               f"{statistics.median(ratios):.3f}", f"{min(ratios):.3f}–{max(ratios):.3f}", f"{diff:.2e}")
        if args.peak:  # the best round's rate against the best GEMM: both the least disturbed figures
            gflop, gemm = peaks[name]
            row += (f"{max(values):.1f}", f"{gemm:.1f}", f"{100 * max(values) * gflop / gemm:.1f} %")
        rows.append(row)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--setting", action="append", default=[], help="name: KEY=VALUE ... (repeatable)")
    parser.add_argument("--feature-d", type=int, default=512)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=3, help="timed steps per setting and round")
    parser.add_argument("--peak", action="store_true",
                        help="also measure each setting's float32 GEMM peak (2048², best of tf/numpy/torch, in its "
                        "own process and environment) and print the step's %% of it")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--tree", help=argparse.SUPPRESS)
    parser.add_argument("--jit", default="off", help=argparse.SUPPRESS)
    parser.add_argument("--intra", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--inter", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        _worker(args)
        return 0
    try:
        settings = [parse_setting(s) for s in (args.setting or ["default"])]
    except ValueError as e:
        parser.error(str(e))
    names = [s[0] for s in settings]
    if len(set(names)) != len(names):
        parser.error(f"setting names must differ. Received: names={names}")
    for _, _, options in settings:
        if "tree" in options and not os.path.isfile(os.path.join(options["tree"], "benchmarks", "throughput.py")):
            parser.error(f"a tree is a checkout with benchmarks/throughput.py. Received: tree={options['tree']!r}")
    if min(args.feature_d, args.batch_size, args.rounds, args.steps) < 1:
        parser.error(f"--feature-d, --batch-size, --rounds and --steps must be >= 1. Received: "
                     f"feature_d={args.feature_d}, batch_size={args.batch_size}, rounds={args.rounds}, "
                     f"steps={args.steps}")
    sys.path.insert(0, os.path.dirname(HERE))
    sys.path.insert(0, HERE)
    from results import markdown_table

    from keras_audio_ssl import cpu_info

    rows = run(settings, args)
    print(f"\nBYOL-A step (c), d={args.feature_d}, B={args.batch_size}, {args.rounds} interleaved rounds of "
          f"{args.steps} steps; ratio to '{names[0]}' per round; loss diff: largest difference of the first "
          f"{CHECKED_STEPS} steps' losses from '{names[0]}'s (same seed)")
    headers = ["setting", "clips/s (median)", "range", f"× {names[0]} (median)", "range", "loss diff"]
    if args.peak:
        headers += ["best round clips/s", "best GEMM GFLOP/s", "% of peak"]
    print(markdown_table(headers, rows))
    print(cpu_info.stamp_line(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
