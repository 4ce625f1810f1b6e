"""The encoder block's ops against alternatives that compute the same numbers, per CPU ISA.

    python benchmarks/block_alternatives.py [--batch-size 64] [--rounds 7] [--steps 2] [--isa native avx2]
        [--threads N] [--write-docs [DIR]]

`benchmarks/op_profile.py` shows that under an AVX2 cap BatchNorm forward and pooling slow down
most (oneDNN's AVX2 kernels), though they carry no FLOPs. This tries the replacements that keep the
numbers: each of AudioNTT2020's three blocks ([Conv2D 3x3 @ 64, BatchNorm, ReLU, MaxPool 2x2] on the
two views' `[2B, 64, 96, C]` log-mel batch and its halvings), forward and backward of a sum of
squares (the input's gradient for the second and third blocks only, as in training), built as

- `as built`: the encoder's own layers (`FusedBatchNormalization`: TensorFlow's fused kernel,
  oneDNN on CPU; `MaxPooling2D`);
- `Keras BatchNorm`: `keras.layers.BatchNormalization` (batch moments and normalization as
  separate element-wise ops, Eigen's kernels instead of oneDNN's);
- `pool as reshape + max`: the 2 x 2 max pooling as a reshape and two `maximum` ops (a tie sends
  the gradient to the first element, as MaxPool's gradient does).

Every variant starts from the same weights and input; its output and gradients are compared with
the as-built block's (largest difference relative to the largest magnitude; the conv bias's gradient,
zero in exact arithmetic, is left out), so a lever that changes the numbers shows. The variants
take `--steps` steps each in turn, `--rounds` times, so load from other processes falls on all
alike; printed: median ms per step and the median (range) of the per-round ratios to `as built`
(> 1: the alternative is slower). Each `--isa` runs in its own
process: `avx2` caps oneDNN, MKL and OpenBLAS at AVX2 (`ONEDNN_MAX_CPU_ISA=AVX2
MKL_ENABLE_INSTRUCTIONS=AVX2 OPENBLAS_CORETYPE=Haswell`), an emulation of an AVX2-only CPU's
kernels on this one (same cores, caches and memory).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ISA_ENV = {
    "native": {},
    "avx2": {"ONEDNN_MAX_CPU_ISA": "AVX2", "MKL_ENABLE_INSTRUCTIONS": "AVX2", "OPENBLAS_CORETYPE": "Haswell"},
}
VARIANTS = ("as built", "Keras BatchNorm", "pool as reshape + max")
# AudioNTT2020's blocks at 64 mel bins x 96 frames: (height, width, input channels).
BLOCKS = ((64, 96, 1), (32, 48, 64), (16, 24, 64))


def _reshape_max_pool():
    import keras
    from keras import ops

    class ReshapeMaxPool(keras.layers.Layer):
        """2 x 2 max pooling (stride 2, valid) as a reshape and two element-wise maxima."""

        def call(self, x):
            _, h, w, c = x.shape
            y = ops.reshape(x, (-1, h // 2, 2, w // 2, 2 * c))
            y = ops.maximum(y[:, :, 0], y[:, :, 1])  # the two rows of each window
            y = ops.reshape(y, (-1, h // 2, w // 2, 2, c))
            return ops.maximum(y[:, :, :, 0], y[:, :, :, 1])  # its two columns

    return ReshapeMaxPool()


def build_block(variant, shape):
    """One encoder block of `variant` on `[h, w, c]` inputs (weights drawn from seed 0)."""
    import keras
    from keras import layers

    from keras_audio_ssl.layers import FusedBatchNormalization

    if variant not in VARIANTS:
        raise ValueError(f"Unknown variant; known: {list(VARIANTS)}. Received: variant={variant!r}")
    keras.utils.set_random_seed(0)
    inputs = keras.Input(shape)
    x = layers.Conv2D(64, 3, padding="same")(inputs)
    norm = layers.BatchNormalization if variant == "Keras BatchNorm" else FusedBatchNormalization
    x = norm(epsilon=1e-5, momentum=0.9)(x)
    x = layers.ReLU()(x)
    x = _reshape_max_pool()(x) if variant == "pool as reshape + max" else layers.MaxPooling2D(2)(x)
    return keras.Model(inputs, x)


def _step(model, input_gradient=True):
    """A traced forward and backward of the block: `{name: tensor}` of its output and gradients. The
    first block's input gradient is left out, as in training (nothing before the log-mel learns)."""
    import tensorflow as tf

    names = ["kernel gradient", "bias gradient", "gamma gradient", "beta gradient"]

    @tf.function
    def step(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = model(x, training=True)
            loss = tf.reduce_sum(tf.square(y))
        sources = ([x] if input_gradient else []) + model.trainable_variables
        gradients = tape.gradient(loss, sources)
        return dict(zip(["output"] + (["input gradient"] if input_gradient else []) + names, [y] + gradients))

    return step


def _relative_difference(a, b):
    """Largest difference of the output and the gradients, each relative to its tensor's largest magnitude.
    The conv bias's gradient is left out: BatchNorm removes any constant the bias adds, so that gradient is
    zero in exact arithmetic and both sides hold only rounding noise."""
    import numpy as np

    return max(float(np.abs(np.asarray(a[name]) - np.asarray(b[name])).max()
                     / max(np.abs(np.asarray(b[name])).max(), 1e-30))
               for name in b if name != "bias gradient")


def measure(batch_size, rounds, steps):
    """`{block: {variant: {"seconds": [per round], "difference": float}}}` in this process."""
    import tensorflow as tf

    result = {}
    for h, w, c in BLOCKS:
        x = tf.random.stateless_normal((2 * batch_size, h, w, c), seed=(1, 2))
        steps_of = {v: _step(build_block(v, (h, w, c)), input_gradient=c > 1) for v in VARIANTS}
        outputs = {v: {k: t.numpy() for k, t in fn(x).items()} for v, fn in steps_of.items()}  # traces, warms up
        block = f"[{2 * batch_size}, {h}, {w}, {c}]"
        result[block] = {v: {"seconds": [], "difference": _relative_difference(outputs[v], outputs[VARIANTS[0]])}
                         for v in VARIANTS}
        for r in range(rounds):
            for v in VARIANTS[r % len(VARIANTS):] + VARIANTS[:r % len(VARIANTS)]:  # order rotated per round
                start = time.perf_counter()
                for _ in range(steps):
                    out = steps_of[v](x)
                out["kernel gradient"].numpy()
                result[block][v]["seconds"].append((time.perf_counter() - start) / steps)
    return result


def _run_isa(isa, args):
    """Runs `measure` in a child process under the ISA's environment; its JSON result."""
    command = [sys.executable, os.path.abspath(__file__), "--child", "--batch-size", str(args.batch_size),
               "--rounds", str(args.rounds), "--steps", str(args.steps)]
    if args.threads:
        command += ["--threads", str(args.threads)]
    caps = {key for env in ISA_ENV.values() for key in env}
    env = {k: v for k, v in os.environ.items() if k not in caps}  # "native" must not inherit a cap
    proc = subprocess.run(command, env=dict(env, **ISA_ENV[isa]), capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"the {isa} process failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def table_rows(results):
    """Rows (isa, block, variant, ms, ratio to as built (range), difference) of the measured results."""
    rows = []
    for isa, blocks in results.items():
        for block, variants in blocks.items():
            base = variants[VARIANTS[0]]["seconds"]
            for v in VARIANTS:
                seconds = variants[v]["seconds"]
                ratios = [s / b for s, b in zip(seconds, base)]
                ratio = "1" if v == VARIANTS[0] else \
                    f"{statistics.median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f})"
                rows.append((isa, block, v, f"{1000 * statistics.median(seconds):.1f}", ratio,
                             f"{variants[v]['difference']:.1e}"))
    return rows


HEADERS = ["ISA", "block input", "variant", "ms per step (median)", "time / as built: median (range)",
           "largest relative difference"]


def _figure(results):
    from results import bar_chart
    from results import new_figure

    figure = new_figure(7.5, 3.6)
    axes = figure.subplots(1, len(results), squeeze=False)[0]
    for ax, (isa, blocks) in zip(axes, results.items()):
        series = {v: [1000 * statistics.median(blocks[b][v]["seconds"]) for b in blocks] for v in VARIANTS}
        bar_chart(ax, list(blocks), series, "ms per step", title=isa)
    return figure


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch-size", type=int, default=64, help="clips per batch (the block sees two views each)")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--steps", type=int, default=2, help="timed steps per variant per round")
    parser.add_argument("--isa", nargs="+", choices=tuple(ISA_ENV), default=["native", "avx2"])
    parser.add_argument("--threads", type=int, default=None, help="TF intra/inter-op threads (default: TF's)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    from results import add_write_docs_argument

    add_write_docs_argument(parser)
    args = parser.parse_args(argv)
    for name in ("batch_size", "rounds", "steps", "threads"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1. Received: {name}={value}")
    if args.child:
        if args.threads:
            import tensorflow as tf

            tf.config.threading.set_intra_op_parallelism_threads(args.threads)
            tf.config.threading.set_inter_op_parallelism_threads(args.threads)
        print(json.dumps(measure(args.batch_size, args.rounds, args.steps)))
        return 0

    from keras_audio_ssl import cpu_info
    from results import command_line
    from results import markdown_table
    from results import write_results

    print(cpu_info.stamp_line(), flush=True)
    results = {}
    for isa in dict.fromkeys(args.isa):
        print(f"timing the {isa} kernels ...", flush=True)
        results[isa] = _run_isa(isa, args)
    table = markdown_table(HEADERS, table_rows(results))
    print(table, flush=True)
    if args.write_docs:
        note = None
        if "avx2" in results:
            note = ("The avx2 rows ran with oneDNN, MKL and OpenBLAS held to AVX2 on this CPU: "
                    "an emulation of an AVX2-only CPU's kernels")
        write_results("block_alternatives", table, _figure(results), args.write_docs,
                      command=command_line("block_alternatives", argv), note=note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
