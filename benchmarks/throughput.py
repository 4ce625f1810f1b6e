"""BYOL-A throughput: input pipeline, on-device augmentation, training step, end to end.

    python benchmarks/throughput.py [--jit-compile on|off|both] [--quick] [--threads N] [--encoder NAME]
        [--dtype-policy float32|mixed_bfloat16|mixed_float16]

Single-core figures (comparable while other work runs on the other core):
    taskset -c 0 python benchmarks/throughput.py --threads 1

Measures, in one run on this machine:
  GEMM   float32 product of large square matrices, best of several runs and of tf.matmul, numpy
         and torch.mm (GFLOP/s "peak"; tf.matmul alone understates AVX2 CPUs)
  (a)    input pipeline alone: `make_pretraining_dataset` over a folder of WAVs
         (and over TFRecord shards when `write_tfrecord_shards` exists), clips/s
  (b)    on-device augmentation alone: log-mel -> pre-norm -> two BYOL-A views -> post-norm
  (c)    training step alone on pre-made log-mel views (no augmentation): online
         encoder/projector/predictor on both views, target forward, symmetric loss,
         Adam, EMA update
  (d)    end to end: the input pipeline over the WAV folder (read, decode, crop, batch,
         prefetched in the background) feeding `BYOLA.train_step` (log-mel, augmentation,
         step) through `train_on_batch`; (c) and (d) are timed in alternating rounds
for d = 512 and 2048, B = 64 and 256, and the step's fraction of the GEMM peak:
fraction = clips/s x GFLOP/clip / (GEMM GFLOP/s), GEMM and step timed in the same
process with the same thread settings. GFLOP/clip comes from the traced graph
(`benchmarks/flops.py`: 2 views x (3 x online forward + target forward); 1.38 at
d=512 and 2.39 at d=2048 for AudioNTT2020). The GEMM figure is the best of several
runs while the step rates are means over steps, so the fraction errs low.

`--dtype-policy` builds the method under a mixed precision policy (`keras_audio_ssl/precision.py`:
encoder and heads in bfloat16 / float16, the rest float32); the "% peak" column stays relative to the
float32 GEMM. `benchmarks/mixed_precision.py` compares the policies interleaved in one process.

`--encoder` measures another registered encoder (`keras_audio_ssl.encoders.names()`,
e.g. resnet18, vgg_like, crnn, efficientnet_b0) in the same BYOL-A setup, at its default width unless
`--feature-d` is given, with its own cost model; the targets are the default encoder's.

Targets (2-core CPU): (c) >= 60 % of peak at d=512 and >= 55 % at d=2048; (d) end to end
>= 90 % of the step's own clips/s; (a) >= 5x the training step's clips/s. Each is printed for
every `--feature-d` measured, under the machine stamp (`keras_audio_ssl.cpu_info`: CPU model and
instruction sets), since the same settings reach different fractions on different CPU kinds.
"""

import argparse
import os
import shutil
import sys
import tempfile
import time

import numpy as np

from keras_audio_ssl import cpu_info

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

DEFAULT_ENCODER = "audio_ntt2020"
TARGET_STEP_FRACTION = {512: 0.60, 2048: 0.55}
TARGET_E2E_OF_STEP = 0.90
TARGET_PIPELINE_RATIO = 5.0


def _best_seconds(fn, repeats):
    fn()
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def gemm_rates(n=2048, repeats=5, threads=None):
    """Best-of-`repeats` float32 GEMM rate (2 n^3 FLOP per product) in GFLOP/s of tf.matmul, numpy and
    (when installed) torch.mm, each on `threads` threads (default: the library's own).

    tf.matmul alone understates some machines: on an AMD Zen 3 (AVX2) it gave 85-87 GFLOP/s where torch.mm
    gave 141 and numpy/OpenBLAS 171 (DESIGN.md), so the peak is the best of the three.
    """
    import tensorflow as tf
    from threadpoolctl import threadpool_limits  # numpy's BLAS threads

    rates = {}
    a, b = tf.random.normal((n, n)), tf.random.normal((n, n))
    matmul = tf.function(lambda x, y: tf.matmul(x, y))
    rates["tf.matmul"] = 2.0 * n**3 / _best_seconds(lambda: matmul(a, b).numpy(), repeats) / 1e9
    x, y = a.numpy(), b.numpy()
    with threadpool_limits(limits=threads):
        rates["numpy"] = 2.0 * n**3 / _best_seconds(lambda: x @ y, repeats) / 1e9
    try:
        import torch
    except ImportError:
        return rates
    previous = torch.get_num_threads()
    torch.set_num_threads(threads or previous)
    try:
        tx, ty = torch.from_numpy(x), torch.from_numpy(y)
        rates["torch.mm"] = 2.0 * n**3 / _best_seconds(lambda: torch.mm(tx, ty), repeats) / 1e9
    finally:
        torch.set_num_threads(previous)
    return rates


def gemm_gflops(n=2048, repeats=5, threads=None):
    """The float32 GEMM "peak" in GFLOP/s: the best of `gemm_rates`."""
    return max(gemm_rates(n, repeats, threads).values())


def describe_peak(rates):
    """`gemm_rates` as text naming the best, e.g. "171.0 GFLOP/s (numpy; tf.matmul 86.0, numpy 171.0)"."""
    best = max(rates, key=rates.get)
    return f"{rates[best]:.1f} GFLOP/s ({best}; " + ", ".join(f"{k} {v:.1f}" for k, v in rates.items()) + ")"


def one_core_gemm_gflops(n=2048):
    """`gemm_gflops` with one thread in every library, in a child process (TensorFlow's thread pools are
    fixed once it starts): the reference for single-thread latency."""
    import subprocess

    here = os.path.dirname(os.path.abspath(__file__))
    code = ("import tensorflow as tf; tf.config.threading.set_intra_op_parallelism_threads(1); "
            "tf.config.threading.set_inter_op_parallelism_threads(1); import throughput; "
            f"print(throughput.gemm_gflops({n}, threads=1))")
    out = subprocess.run([sys.executable, "-c", code], cwd=here, capture_output=True, text=True, check=True,
                         env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    return float(out.stdout.strip().splitlines()[-1])


def _rate(fn, batch_size, steps, warmup=2):
    for _ in range(warmup):
        fn()
    t = time.perf_counter()
    for _ in range(steps):
        fn()
    return batch_size * steps / (time.perf_counter() - t)


def bench_input_pipeline(source, batch_size, num_batches):
    """Clips/s of `make_pretraining_dataset(source)` iterated on its own."""
    from keras_audio_ssl.data import make_pretraining_dataset

    ds = make_pretraining_dataset(source, batch_size=batch_size, shuffle=True, seed=0, repeat=True)
    it = iter(ds)
    return _rate(lambda: next(it).numpy(), batch_size, num_batches)


def _byola(feature_d, jit, batch_size=None, encoder=DEFAULT_ENCODER, dtype_policy="float32"):
    """A compiled BYOLA model as `recipes.byola.fit` builds it (stats fixed), on the registered `encoder`."""
    import keras

    from keras_audio_ssl.precision import policy_scope
    from keras_audio_ssl.methods import BYOLA
    from keras_audio_ssl.recipes.run import build_encoder

    with policy_scope(dtype_policy):
        model = BYOLA(build_encoder(encoder, feature_d), pre_norm_mean=-5.0, pre_norm_std=4.0, seed=0)
    model.compile(optimizer=keras.optimizers.Adam(3e-4), jit_compile=jit)
    model.build((None, 15200))
    model.optimizer.build(model.trainable_variables)
    return model


def _waveforms(batch_size):
    import tensorflow as tf

    return tf.random.stateless_normal((batch_size, 15200), seed=(1, 2)) * 0.1


def bench_augmentation(batch_size, steps, jit, feature_d=512, encoder=DEFAULT_ENCODER):
    """(b) `BYOLA.make_views`: log-mel, pre-norm, 2 x (mixup, RRC), post-norm."""
    import tensorflow as tf

    model = _byola(feature_d, jit, encoder=encoder)
    wave = _waveforms(batch_size)
    # Fill the memory bank first: an empty bank skips mixing.
    for _ in range(max(1, 2048 // batch_size)):
        model.mixup.update_memory(model.pre_norm(model.front_end(wave)))
    augment = tf.function(lambda w: model.make_views(model.preprocess(w))["views"], jit_compile=jit)
    return _rate(lambda: augment(wave).numpy(), batch_size, steps)


def step_function(feature_d, batch_size, jit, encoder=DEFAULT_ENCODER, dtype_policy="float32", with_graph=False):
    """(c)'s step as a callable running one step to completion and returning its loss
    (`benchmarks/mixed_precision.py` interleaves them); with `with_graph`, also the step's traced graph
    (`benchmarks/op_profile.py` counts its FLOPs)."""
    import tensorflow as tf

    from keras_audio_ssl.methods import ema_update

    model = _byola(feature_d, jit, encoder=encoder, dtype_policy=dtype_policy)
    variables = model.trainable_variables
    views = tf.random.stateless_normal((2 * batch_size, 64, 96, 1), seed=(3, 4))

    @tf.function(jit_compile=jit)
    def step(v):
        with tf.GradientTape() as tape:
            loss, _ = model.compute_loss_and_diagnostics({"views": v, "view_mean_pre": 0.0, "view_std_pre": 1.0})
            scaled = model.optimizer.scale_loss(loss)  # mixed_float16's loss scale (else identity), as `train_step`
        model.optimizer.apply(tape.gradient(scaled, variables), variables)
        ema_update(model._target_variables(), model._online_variables(), model.ema_decay)
        return loss

    run = lambda: step(views).numpy()  # noqa: E731
    return (run, step.get_concrete_function(views).graph) if with_graph else run


def bench_step(feature_d, batch_size, steps, jit, encoder=DEFAULT_ENCODER, dtype_policy="float32"):
    """(c) BYOLA's step on pre-made log-mel views: forward/backward, Adam, EMA; no augmentation."""
    return _rate(step_function(feature_d, batch_size, jit, encoder, dtype_policy), batch_size, steps)


def end_to_end_function(feature_d, batch_size, jit, encoder=DEFAULT_ENCODER, dtype_policy="float32", source=None):
    """(d)'s step as a callable: the next batch of the real input pipeline over `source` (16 kHz WAVs:
    read, decode, crop, batch, prefetched in the background as in training), then one
    `train_on_batch` (log-mel, augmentation, the step). Without `source`, a folder of 256 1-s
    clips is written to a temporary folder for the process's lifetime."""
    from keras_audio_ssl.data import make_pretraining_dataset

    if source is None:
        import atexit

        source = tempfile.mkdtemp(prefix="byola_e2e_")
        atexit.register(shutil.rmtree, source, ignore_errors=True)
        _write_wavs(source, 256)
    model = _byola(feature_d, jit, encoder=encoder, dtype_policy=dtype_policy)
    batches = iter(make_pretraining_dataset(source, batch_size=batch_size, shuffle=True, seed=0, repeat=True))
    return lambda: model.train_on_batch(next(batches))


def bench_end_to_end(feature_d, batch_size, steps, jit, encoder=DEFAULT_ENCODER, dtype_policy="float32", source=None):
    """(d) end to end: decoding, cropping, augmentation and `BYOLA.train_step` (see `end_to_end_function`)."""
    return _rate(end_to_end_function(feature_d, batch_size, jit, encoder, dtype_policy, source), batch_size, steps)


def _write_wavs(folder, num_clips):
    from keras_audio_ssl import synthetic

    clips = synthetic.make_unlabeled_corpus(num_clips, seconds=1.0, seed=0)
    return synthetic.write_wav_folder(folder, clips)


def _tfrecord_source(paths, folder):
    try:
        from keras_audio_ssl.data import write_tfrecord_shards
    except ImportError:
        return None
    try:
        out = write_tfrecord_shards(paths, os.path.join(folder, "shards"))
    except TypeError:
        return None
    if isinstance(out, (list, tuple)) and out:
        return list(out)
    return os.path.join(folder, "shards", "*.tfrecord*")


def step_gflop_per_clip(encoder, feature_d):
    """The BYOL-A training step's GFLOP per clip on `encoder` at `feature_d` (`flops.py`)."""
    import keras

    from flops import byola_step_gflop_per_clip

    gflop = byola_step_gflop_per_clip(_byola(feature_d, False, encoder=encoder))
    keras.backend.clear_session()
    return gflop


def is_default_encoder(encoder):
    from keras_audio_ssl import encoders

    return encoders.get_class(encoder) is encoders.get_class(DEFAULT_ENCODER)


def default_feature_ds(encoder):
    """512 and 2048 for AudioNTT2020 (the speed targets' widths), else the encoder's own default `feature_d`.

    None for an encoder whose width follows from its architecture (no `feature_d`, e.g. slowfast_nfnet_f0).
    """
    import inspect

    from keras_audio_ssl import encoders
    from keras_audio_ssl.encoders.registry import fixed_arguments

    if is_default_encoder(encoder):
        return tuple(TARGET_STEP_FRACTION)
    fixed = fixed_arguments(encoder)
    if "feature_d" in fixed:  # a registered variant (efficientnet_b0_cola) fixes its width
        return (fixed["feature_d"],)
    parameters = inspect.signature(encoders.get_class(encoder).__init__).parameters
    return (parameters["feature_d"].default if "feature_d" in parameters else None,)


def run(*, quick=False, jit_modes=(False,), feature_ds=None, batch_sizes=(64, 256), threads=None,
        encoder=DEFAULT_ENCODER, dtype_policy="float32"):
    import tensorflow as tf

    if feature_ds is None:
        feature_ds = default_feature_ds(encoder)

    if threads:
        # Before any op runs; GEMM and step then share the same thread pool size.
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)

    if quick:  # one width (the first asked for), one small batch
        feature_ds, batch_sizes = tuple(feature_ds)[:1], (8,)
    gemm_n = 1024 if quick else 4096
    rates = gemm_rates(gemm_n, repeats=3 if quick else 5, threads=threads)
    gemm = max(rates.values())
    device = "GPU" if tf.config.list_logical_devices("GPU") else "CPU"
    pools = f"TF threads intra={tf.config.threading.get_intra_op_parallelism_threads() or 'default'}, " \
        f"inter={tf.config.threading.get_inter_op_parallelism_threads() or 'default'}"
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(cpu_info.stamp_line())
    print(f"Device: {device}; {pools}; process may use {affinity} core(s)")
    print(f"float32 GEMM peak ({gemm_n}x{gemm_n}, best of several runs and of tf.matmul / numpy / torch.mm): "
          + describe_peak(rates))
    gflop_per_clip = {d: step_gflop_per_clip(encoder, d) for d in feature_ds}
    print(f"dtype policy: {dtype_policy}")
    print(f"Encoder: {encoder}; training step cost (TF graph profiler, 2 views x (3 x online + target forward)): "
          + ", ".join(f"d={d}: {g:.3f} GFLOP/clip" for d, g in gflop_per_clip.items()) + "\n")

    tmp = tempfile.mkdtemp(prefix="byola_bench_")
    rows = []
    try:
        paths = _write_wavs(os.path.join(tmp, "wav"), 32 if quick else 512)
        sources = {"wav folder": os.path.join(tmp, "wav")}
        shards = _tfrecord_source(paths, tmp)
        if shards is not None:
            sources["tfrecord"] = shards
        for batch_size in batch_sizes:
            n_batches = 2 if quick else max(4, 2048 // batch_size)
            for name, source in sources.items():
                rate = bench_input_pipeline(source, batch_size, n_batches)
                rows.append(dict(part=f"(a) input, {name}", d="-", B=batch_size, jit="-", rate=rate))
        steps = 2 if quick else 8
        for jit in jit_modes:
            for batch_size in batch_sizes:
                rows.append(_measure("(b) augmentation", "-", batch_size, jit,
                                     lambda: bench_augmentation(batch_size, steps, jit, encoder=encoder)))
                for d in feature_ds:
                    pair = _measure_step_and_end_to_end(d, batch_size, steps, jit, encoder, dtype_policy,
                                                        sources["wav folder"], rounds=1 if quick else 3)
                    for row in pair:
                        if row["rate"] is not None:
                            row["frac"] = row["rate"] * gflop_per_clip[d] / gemm
                        rows.append(row)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"{'part':<28} {'d':>5} {'B':>4} {'jit':>5} {'clips/s':>9} {'% peak':>7}")
    for r in rows:
        frac = f"{100 * r['frac']:6.1f}%" if "frac" in r else ""
        rate = f"{r['rate']:>9.1f}" if r["rate"] is not None else f"{'failed':>9}"
        print(f"{r['part']:<28} {r['d']!s:>5} {r['B']:>4} {r['jit']!s:>5} {rate} {frac:>7}")

    print("\nAgainst the targets:")
    for jit in jit_modes:
        for batch_size in batch_sizes:
            pipe = max(r["rate"] for r in rows if r["part"].startswith("(a)") and r["B"] == batch_size)
            for d in feature_ds:
                step = _find(rows, "(c)", d, batch_size, jit)
                e2e = _find(rows, "(d)", d, batch_size, jit)
                if step["rate"] is None or e2e["rate"] is None:
                    print(f"  jit={jit} d={d} B={batch_size}: step or end to end failed (see above)")
                    continue
                e2e_of_step = e2e["rate"] / step["rate"]
                target = TARGET_STEP_FRACTION.get(d) if is_default_encoder(encoder) else None
                against = f"target >= {100 * target:.0f}%, ratio {step['frac'] / target:.2f}" if target else "no target"
                of_peak = f"step {100 * step['frac']:.1f}% of peak ({against})"
                print(f"  jit={jit} d={d} B={batch_size}: {of_peak}; end to end "
                      f"{100 * e2e_of_step:.0f}% of the step (target >= {100 * TARGET_E2E_OF_STEP:.0f}%, ratio "
                      f"{e2e_of_step / TARGET_E2E_OF_STEP:.2f}); input pipeline {pipe / step['rate']:.1f}x the step "
                      f"(target >= {TARGET_PIPELINE_RATIO:.0f}x, ratio {pipe / step['rate'] / TARGET_PIPELINE_RATIO:.2f})")
    if quick:
        print("  (--quick: tiny sizes, a smoke test; the fractions are not meaningful)")
    return {"gemm_gflops": gemm, "rows": rows}


def _measure(part, d, batch_size, jit, fn):
    """Runs one measurement; a failure (e.g. an op XLA cannot compile) becomes a table note."""
    import gc

    import keras

    t = time.perf_counter()
    try:
        row = dict(part=part, d=d, B=batch_size, jit=jit, rate=fn())
        # One line per part as it finishes: the whole matrix takes many minutes.
        print(f"  measured {part} d={d} B={batch_size} jit={jit}: {row['rate']:.1f} clips/s "
              f"({time.perf_counter() - t:.0f} s)", flush=True)
    except Exception as e:  # noqa: BLE001 - reported in the table, the other rows still run
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        print(f"{part} d={d} B={batch_size} jit={jit} FAILED: {type(e).__name__}: {reason[:300]}", flush=True)
        row = dict(part=part, d=d, B=batch_size, jit=jit, rate=None, error=type(e).__name__)
    # Each part builds its own model (memory bank, optimizer, compiled graphs): free them,
    # or the d=2048, B=256 parts run out of memory after the others.
    keras.backend.clear_session()
    gc.collect()
    return row


def _measure_step_and_end_to_end(d, batch_size, steps, jit, encoder, dtype_policy, source, rounds=3):
    """(c) and (d) rows, timed in alternating rounds of `steps` steps (the best round of each): the
    end-to-end / step ratio is then not a comparison of two moments of a machine's load."""
    import gc

    import keras

    parts = ("(c) train step", "(d) end to end")
    try:
        functions = (step_function(d, batch_size, jit, encoder, dtype_policy),
                     end_to_end_function(d, batch_size, jit, encoder, dtype_policy, source))
        best = [0.0, 0.0]
        for _ in range(rounds):
            for i, fn in enumerate(functions):
                best[i] = max(best[i], _rate(fn, batch_size, steps))
        rows = [dict(part=part, d=d, B=batch_size, jit=jit, rate=rate) for part, rate in zip(parts, best)]
        print(f"  measured d={d} B={batch_size} jit={jit}: step {best[0]:.1f}, end to end {best[1]:.1f} clips/s "
              f"(best of {rounds} alternating rounds)", flush=True)
    except Exception as e:  # noqa: BLE001 - reported in the table, the other rows still run
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        print(f"d={d} B={batch_size} jit={jit} FAILED: {type(e).__name__}: {reason[:300]}", flush=True)
        rows = [dict(part=part, d=d, B=batch_size, jit=jit, rate=None, error=type(e).__name__) for part in parts]
    keras.backend.clear_session()
    gc.collect()
    return rows


def _find(rows, part, d, batch_size, jit):
    return next(r for r in rows if r["part"].startswith(part) and r["d"] == d and r["B"] == batch_size and r["jit"] == jit)


def main(argv=None):
    from results import add_write_docs_argument
    from keras_audio_ssl import precision

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jit-compile", choices=("on", "off", "both"), default="both")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke test (< 60 s)")
    parser.add_argument("--encoder", default=DEFAULT_ENCODER,
                        help="a registered encoder name, e.g. resnet18, vgg_like, crnn, efficientnet_b0 "
                        f"(default {DEFAULT_ENCODER})")
    parser.add_argument("--feature-d", type=int, nargs="+", default=None,
                        help="widths to measure (default: 512 and 2048 for audio_ntt2020, the targets' widths; "
                        "another encoder's own default)")
    parser.add_argument("--batch-size", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--threads", type=int, default=None,
                        help="TF intra/inter-op threads for GEMM and steps alike (default: TF's)")
    parser.add_argument("--dtype-policy", choices=precision.POLICIES, default="float32",
                        help="the method's Keras dtype policy for (c) and (d) (default float32)")
    add_write_docs_argument(parser)
    args = parser.parse_args(argv)
    try:
        is_default_encoder(args.encoder)
    except ValueError as e:  # not a registered encoder
        parser.error(str(e))
    if args.feature_d and default_feature_ds(args.encoder) == (None,):
        parser.error(f"{args.encoder}'s width follows from its architecture; drop --feature-d. "
                     f"Received: feature_d={args.feature_d}")
    jit_modes = {"on": (True,), "off": (False,), "both": (False, True)}[args.jit_compile]
    result = run(quick=args.quick, jit_modes=jit_modes, feature_ds=tuple(args.feature_d) if args.feature_d else None,
                 batch_sizes=tuple(args.batch_size), threads=args.threads, encoder=args.encoder,
                 dtype_policy=args.dtype_policy)
    if args.write_docs:
        write_docs(result, args, argv)
    return 0


def write_docs(result, args, argv=None):
    """The table as `docs/results/throughput.md`, and clips/s and % of the GEMM peak per row as a plot."""
    from results import bar_chart
    from results import command_line
    from results import markdown_table
    from results import new_figure
    from results import write_results

    rows = result["rows"]
    table = [(r["part"], r["d"], r["B"], r["jit"], "failed" if r["rate"] is None else f"{r['rate']:.1f}",
              f"{100 * r['frac']:.1f} %" if "frac" in r else "") for r in rows]
    md = (f"{args.encoder}, dtype policy {args.dtype_policy}; float32 GEMM peak {result['gemm_gflops']:.1f} GFLOP/s "
          "measured in the same run\n\n"
          + markdown_table(["part", "d", "B", "jit", "clips/s", "% of GEMM peak"], table))
    timed = [r for r in rows if "frac" in r]
    figure = new_figure(8.0, 4.0)
    left, right = figure.subplots(1, 2)
    labels = [f"{r['part'][:3]} d={r['d']} B={r['B']}" + (" xla" if r["jit"] else "") for r in timed]
    bar_chart(left, labels, {"clips/s": [r["rate"] for r in timed]}, "clips/s", f"{args.encoder}: training")
    bar_chart(right, labels, {"% of peak": [100 * r["frac"] for r in timed]}, "% of float32 GEMM peak",
              "(c) step, (d) end to end")
    write_results("throughput", md, figure, args.write_docs, command=command_line("throughput", argv),
                  note="--quick: a smoke test, not a measurement" if args.quick else None)


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sys.exit(main())
