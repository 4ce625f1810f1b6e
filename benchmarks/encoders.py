"""The registered encoders side by side: size, training-step speed, on-device latency.

    python benchmarks/encoders.py [--encoders audio_ntt2020 resnet18 ...] [--batch-size 64]
        [--steps 3] [--runs 50] [--quick]

For each encoder at its class's default width (512; AudioNTT2022 3072; CRNN 64 as in
Fonseca et al.; SlowFast NFNet-F0's 1728 follows from its architecture), in
the BYOL-A setup of `benchmarks/throughput.py`, one run on this machine gives:

  params        the encoder's parameters
  step GFLOP    BYOL-A training step per clip (`flops.py`: 2 views x (3 x online + target forward))
  step clips/s  the training step alone on pre-made 64 x 96 log-mel views, batch `--batch-size`
  % peak        step clips/s x step GFLOP / float32 GEMM GFLOP/s (all threads, this process)
  1-s GFLOP     one 1-s waveform -> embedding (log-mel front end included)
  TFLite ms     fp32 TFLite, one 1-s clip per call, 1 interpreter thread (median of `--runs`)
  % 1-core      1-s GFLOP / TFLite time / one core's GEMM GFLOP/s (measured in a child
                process with one TensorFlow thread)

`--quick` checks the script (batch 4, one step, few runs): its numbers are not measurements.
"""

import argparse
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def default_width(encoder):
    """The registered variant's fixed `feature_d`, else its class's default (None: fixed by the architecture)."""
    import inspect

    from keras_audio_ssl import encoders

    from keras_audio_ssl.encoders.registry import fixed_arguments

    fixed = fixed_arguments(encoder)
    if "feature_d" in fixed:  # e.g. efficientnet_b0_cola: COLA's 1280-d trunk, no other width
        return fixed["feature_d"]
    parameter = inspect.signature(encoders.get_class(encoder).__init__).parameters.get("feature_d")
    return None if parameter is None else parameter.default


def measure(encoder, *, batch_size, steps, runs, tmp):
    import keras
    import numpy as np

    from flops import embedding_gflop
    from keras_audio_ssl.encoders import build_embedding_model
    from keras_audio_ssl.encoders.embedding_model_parts import find_encoder
    from keras_audio_ssl.export import export_tflite
    from keras_audio_ssl.recipes.run import build_encoder
    from latency import median_ms
    from latency import tflite_runner
    from throughput import bench_step
    from throughput import step_gflop_per_clip

    d = default_width(encoder)
    started = time.perf_counter()
    step_gflop = step_gflop_per_clip(encoder, d)
    step_rate = bench_step(d, batch_size, steps, False, encoder=encoder)
    keras.backend.clear_session()
    model = build_embedding_model(build_encoder(encoder, d), mean=-6.0, std=4.0)
    params = find_encoder(model).count_params()
    width = int(model.output_shape[-1])
    clip = (0.1 * np.random.default_rng(0).standard_normal((1, 16000))).astype(np.float32)
    path = export_tflite(model, os.path.join(tmp, f"{encoder}.tflite"), quantize="none", clip_seconds=1.0)
    tflite_ms = median_ms(tflite_runner(path, clip, 1), runs, max(2, runs // 10))
    gflop_1s = embedding_gflop(model, 16000)
    keras.backend.clear_session()
    print(f"  measured {encoder} ({time.perf_counter() - started:.0f} s)", flush=True)
    return dict(encoder=encoder, d=width, params=params, step_gflop=step_gflop, step_rate=step_rate,
                gflop_1s=gflop_1s, tflite_ms=tflite_ms)


def main(argv=None):
    from keras_audio_ssl import encoders
    from results import add_write_docs_argument

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--encoders", nargs="+", default=encoders.names(), help="registered encoder names")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=3, help="timed training steps (after 2 warm-up steps)")
    parser.add_argument("--runs", type=int, default=50, help="TFLite calls the median is over")
    parser.add_argument("--quick", action="store_true", help="script check: batch 4, 1 step, 5 runs")
    add_write_docs_argument(parser)
    args = parser.parse_args(argv)
    for name in args.encoders:
        try:
            encoders.get_class(name)
        except ValueError as error:
            parser.error(str(error))
    batch_size, steps, runs = (4, 1, 5) if args.quick else (args.batch_size, args.steps, args.runs)


    from keras_audio_ssl import cpu_info
    from throughput import gemm_gflops
    from throughput import one_core_gemm_gflops

    gemm = gemm_gflops(1024 if args.quick else 4096)
    gemm_1 = one_core_gemm_gflops(512 if args.quick else 2048)
    print(cpu_info.stamp_line())
    print(f"float32 GEMM peak (best of tf.matmul / numpy / torch.mm): {gemm:.1f} GFLOP/s (all threads), {gemm_1:.1f} GFLOP/s (one thread)", flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.encoders:
            rows.append(measure(name, batch_size=batch_size, steps=steps, runs=runs, tmp=tmp))
    # The peak is a best case: measured again after the rows, the larger one counts, so a machine
    # that got quieter during the run cannot put a row above 100 % of a peak taken while it was busy.
    gemm = max(gemm, gemm_gflops(1024 if args.quick else 4096))
    gemm_1 = max(gemm_1, one_core_gemm_gflops(512 if args.quick else 2048))
    print(f"float32 GEMM peak after the rows, best of both: {gemm:.1f} GFLOP/s (all threads), {gemm_1:.1f} GFLOP/s (one thread)")
    print(f"\nBYOL-A training step at batch {batch_size} (no augmentation), fp32 TFLite 1-s latency on 1 thread"
          + ("  [QUICK: script check, not a measurement]" if args.quick else ""))
    header = (f"{'encoder':<18} {'d':>5} {'params':>11} {'step GFLOP':>10} {'clips/s':>8} {'% peak':>7} "
              f"{'1-s GFLOP':>9} {'TFLite ms':>9} {'% 1-core':>8}")
    print(header)
    for r in rows:
        frac = r["step_rate"] * r["step_gflop"] / gemm
        core = r["gflop_1s"] / (r["tflite_ms"] / 1000) / gemm_1
        print(f"{r['encoder']:<18} {r['d']:>5} {r['params']:>11,} {r['step_gflop']:>10.2f} {r['step_rate']:>8.1f} "
              f"{100 * frac:>6.1f}% {r['gflop_1s']:>9.3f} {r['tflite_ms']:>9.2f} {100 * core:>7.1f}%")
    if args.write_docs:
        write_docs(rows, gemm, gemm_1, batch_size, args, argv)
    return 0


def write_docs(rows, gemm, gemm_1, batch_size, args, argv=None):
    """The table as `docs/results/encoders.md`; a plot of step clips/s and % of peak per encoder."""
    from results import bar_chart
    from results import command_line
    from results import markdown_table
    from results import new_figure
    from results import write_results

    table, peak = [], []
    for r in rows:
        frac = r["step_rate"] * r["step_gflop"] / gemm
        core = r["gflop_1s"] / (r["tflite_ms"] / 1000) / gemm_1
        peak.append(100 * frac)
        table.append((r["encoder"], r["d"], f"{r['params']:,}", f"{r['step_gflop']:.2f}", f"{r['step_rate']:.1f}",
                      f"{100 * frac:.1f} %", f"{r['gflop_1s']:.3f}", f"{r['tflite_ms']:.2f}", f"{100 * core:.1f} %"))
    md = (f"BYOL-A training step at batch {batch_size} on pre-made views (all threads; float32 GEMM peak "
          f"{gemm:.1f} GFLOP/s), fp32 TFLite 1-s embedding on one thread (one core's peak {gemm_1:.1f} GFLOP/s)"
          "\n\n" + markdown_table(["encoder", "d", "params", "step GFLOP/clip", "step clips/s", "% peak",
                                    "1-s GFLOP", "TFLite ms (1 thread)", "% of 1 core"], table))
    figure = new_figure(8.0, 4.0)
    left, right = figure.subplots(1, 2)
    names = [r["encoder"] for r in rows]
    bar_chart(left, names, {"clips/s": [r["step_rate"] for r in rows]}, "training step clips/s", "throughput")
    bar_chart(right, names, {"% peak": peak}, "% of float32 GEMM peak", "step FLOP/s vs GEMM")
    write_results("encoders", md, figure, args.write_docs, command=command_line("encoders", argv),
                  note="--quick: a script check, not a measurement" if args.quick else None)


if __name__ == "__main__":
    sys.exit(main())
