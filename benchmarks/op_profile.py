"""Where BYOL-A's training step spends its time: per op kind, with each kind's GFLOP/s against the GEMM peak.

    python benchmarks/op_profile.py [--feature-d 512 2048] [--batch-size 64] [--steps 3] [--jit-compile off]

Traces `--steps` steps of `throughput.py`'s (c) step (pre-made log-mel views; forward and backward
of the online network, target forward, Adam, EMA) with TensorFlow's profiler and sums the host
trace's op events by kind: convolution forward, its two gradients (input, filter), matmuls,
BatchNorm forward/backward, pooling, the variable updates (Adam, EMA) and the elementwise rest.
Each convolution and matmul's FLOPs are counted from its static shapes in the traced step graph
(2 x multiply-adds; a convolution's input and filter gradients cost what its forward does), so a
kind's GFLOP/s is its FLOPs over its own time: a kind far below the GEMM peak is where the step
loses. Op times are the wall durations of the op events summed over executor threads: ops that
run beside each other (inter-op) both count, so shares are of op time, not of the step's wall.

Set `ONEDNN_MAX_CPU_ISA=AVX2` to see an AVX2-only CPU's kernels on an AVX-512 one (an emulation;
the stamp says so).
"""

import argparse
import collections
import glob
import os
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# Op kinds in the order of the table; the first whose pattern is in an op's type wins.
KINDS = (
    ("conv filter grad", ("Conv2DBackpropFilter",)),
    ("conv input grad", ("Conv2DBackpropInput",)),
    ("conv forward", ("Conv2D",)),
    ("matmul (MLP, heads)", ("MatMul",)),
    ("BatchNorm backward", ("FusedBatchNormGrad",)),
    ("BatchNorm forward", ("FusedBatchNorm",)),
    ("pooling", ("MaxPool", "AvgPool")),
    ("variable updates (Adam, EMA)", ("Assign", "ResourceApply")),
    ("reads, copies, control", ("ReadVariableOp", "Identity", "Const", "_Recv", "_Send", "NoOp", "Placeholder",
                                "ToTf", "_Arg", "_Retval")),
)
OTHER = "elementwise and the rest"


def kind_of(op_type):
    for kind, patterns in KINDS:
        if any(p in op_type for p in patterns):
            return kind
    return OTHER


def _dims(shape):
    return [int(d) for d in shape] if shape.rank is not None and all(d is not None for d in shape) else None


def graph_flops(graph):
    """{kind: FLOPs} of the convolutions and matmuls of a traced graph, from their static shapes."""
    flops = collections.Counter()
    for op in graph.get_operations():
        kind = kind_of(op.type)
        if op.type in ("Conv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter"):
            # The forward's output [N, Ho, Wo, Cout] and filter [kh, kw, Cin, Cout] fix the cost of all three.
            if op.type == "Conv2D":
                out, kernel = _dims(op.outputs[0].shape), _dims(op.inputs[1].shape)
            elif op.type == "Conv2DBackpropInput":
                out, kernel = _dims(op.inputs[2].shape), _dims(op.inputs[1].shape)
            else:
                out, kernel = _dims(op.inputs[2].shape), _dims(op.outputs[0].shape)
            if out and kernel:
                n, h, w, c_out = out
                kh, kw, c_in, _ = kernel
                flops[kind] += 2 * n * h * w * c_out * kh * kw * c_in
        elif op.type in ("MatMul", "BatchMatMulV2"):
            a, b = _dims(op.inputs[0].shape), _dims(op.inputs[1].shape)
            if a and b:
                m = a[-1] if op.get_attr("transpose_a" if op.type == "MatMul" else "adj_x") else a[-2]
                k = a[-2] if op.get_attr("transpose_a" if op.type == "MatMul" else "adj_x") else a[-1]
                n = b[-2] if op.get_attr("transpose_b" if op.type == "MatMul" else "adj_y") else b[-1]
                batch = 1
                for d in a[:-2]:
                    batch *= d
                flops[kind] += 2 * batch * m * k * n
    return flops


def trace_op_seconds(fn, steps):
    """{op type: seconds} summed over the host trace's op events of `steps` calls of `fn`, and the wall time."""
    import tensorflow as tf
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    logdir = tempfile.mkdtemp(prefix="op_profile_")
    try:
        tf.profiler.experimental.start(logdir)
        start = time.perf_counter()
        for _ in range(steps):
            fn()
        wall = time.perf_counter() - start
        tf.profiler.experimental.stop()
        space = xplane_pb2.XSpace()
        with open(sorted(glob.glob(os.path.join(logdir, "**", "*.xplane.pb"), recursive=True))[-1], "rb") as f:
            space.ParseFromString(f.read())
    finally:
        shutil.rmtree(logdir, ignore_errors=True)
    seconds = collections.Counter()
    for plane in space.planes:
        for line in plane.lines:
            for event in line.events:
                name = plane.event_metadata[event.metadata_id].name
                node, sep, op_type = name.rpartition(":")
                # Op events are named "node:Type" (runtime events "Class::Method"); a function call's
                # event encloses its body's ops.
                if sep and node and "::" not in name and "PartitionedCall" not in op_type and " " not in op_type:
                    seconds[op_type] += event.duration_ps * 1e-12
    return seconds, wall


def profile(feature_d, batch_size, steps, jit, gemm):
    """Rows of the per-kind table for one width, and the step's wall seconds and GFLOP."""
    import keras

    import throughput

    fn, graph = throughput.step_function(feature_d, batch_size, jit, with_graph=True)
    for _ in range(2):  # trace and warm up
        fn()
    seconds, wall = trace_op_seconds(fn, steps)
    flops = graph_flops(graph)
    by_kind = collections.Counter()
    types = collections.defaultdict(set)
    for op_type, s in seconds.items():
        by_kind[kind_of(op_type)] += s / steps
        types[kind_of(op_type)].add(op_type)
    total = sum(by_kind.values())
    rows = []
    for kind in [k for k, _ in KINDS] + [OTHER]:
        if kind not in by_kind:
            continue
        gflop = flops.get(kind, 0) / 1e9
        rate = gflop / by_kind[kind] if gflop and by_kind[kind] else None
        rows.append((kind, f"{1000 * by_kind[kind]:.1f}", f"{100 * by_kind[kind] / total:.1f} %",
                     f"{gflop:.2f}" if gflop else "", f"{rate:.1f}" if rate else "",
                     f"{100 * rate / gemm:.0f} %" if rate else "", ", ".join(sorted(types[kind]))[:80]))
    keras.backend.clear_session()
    return rows, wall / steps, sum(flops.values()) / 1e9


def main(argv=None):
    from results import markdown_table

    from keras_audio_ssl import cpu_info
    from throughput import describe_peak
    from throughput import gemm_rates

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--feature-d", type=int, nargs="+", default=[512, 2048])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=3, help="traced steps (after 2 warm-up steps)")
    parser.add_argument("--jit-compile", choices=("on", "off"), default="off")
    parser.add_argument("--threads", type=int, default=None,
                        help="TF intra/inter-op threads for GEMM and step alike (default: TF's)")
    args = parser.parse_args(argv)
    if args.batch_size < 1 or args.steps < 1 or (args.threads is not None and args.threads < 1):
        parser.error(f"--batch-size, --steps and --threads must be >= 1. Received: batch_size={args.batch_size}, "
                     f"steps={args.steps}, threads={args.threads}")
    if args.threads:
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    print(cpu_info.stamp_line(), flush=True)
    rates = gemm_rates(2048, repeats=3, threads=args.threads)
    gemm = max(rates.values())
    print("float32 GEMM peak (2048x2048): " + describe_peak(rates), flush=True)
    for d in args.feature_d:
        rows, step_seconds, gflop = profile(d, args.batch_size, args.steps, args.jit_compile == "on", gemm)
        print(f"\nd={d}, B={args.batch_size}, jit {args.jit_compile}: {1000 * step_seconds:.0f} ms per traced step "
              f"(profiler on), conv+matmul {gflop:.1f} GFLOP per step = {gflop / step_seconds:.1f} GFLOP/s "
              f"= {100 * gflop / step_seconds / gemm:.0f} % of the GEMM peak", flush=True)
        print(markdown_table(["op kind", "ms/step", "share of op time", "GFLOP/step", "GFLOP/s", "% of GEMM peak",
                              "op types"], rows), flush=True)
    print(cpu_info.stamp_line(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
