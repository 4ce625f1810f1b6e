"""Scaling: BYOL-A training throughput vs batch size and vs replicas, the collectives' share of a
step, and what one AudioSet epoch would cost on N accelerators.

    python benchmarks/scaling.py [--replicas 1 2 4] [--batch-sizes 16 32 64 128 256] [--feature-d 512]
                                 [--global-batch 64] [--gpus 8 64 256] [--gpu-tflops 100] [--quick]

Each replica count is measured in its own process (logical devices are fixed when TensorFlow
starts). Without a GPU the replicas are logical CPU devices of one process, sharing the same
cores: their rate shows what the distribution machinery costs, not a speed-up. With GPUs,
`--replicas` counts GPUs.

Per replica count, at one global batch:
  step         `model.fit` of the recipe's BYOL-A (`methods.BYOLA`) under
               MirroredStrategy on in-memory waveform batches (augmentation on device, no file
               decoding), clips/s over a timed epoch after a warm-up epoch;
  collectives  the step's cross-replica work alone, under the same strategy: an all-reduce of
               tensors shaped like every trainable variable (the gradients), the memory bank's
               all_gather of the batch's log-mels and the post-normalization statistics'
               all-reduce; share = collectives' time / step time.
Throughput vs batch size is measured on one replica.

The AudioSet estimate uses the measured GFLOP per clip (the traced graph, `flops.py`), the
gradient bytes (the model's trainable variables) and the input pipeline's measured clips/s per
CPU core on TFRecord shards, and states what it assumes: the accelerator's achieved TFLOP/s
(`--gpu-tflops`), the all-reduce bandwidth (`--allreduce-gbps`), the clips per epoch.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

AUDIOSET_CLIPS = 2_000_000  # the unbalanced training set, about 2 million 10-s clips; one crop each per epoch


def measure_replicas(replicas, global_batch, feature_d, steps, encoder="audio_ntt2020"):
    """Runs in a child process: step clips/s and collectives' ms for `replicas` replicas."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        devices = [f"/gpu:{i}" for i in range(replicas)]
    else:
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * replicas)
        devices = [f"/cpu:{i}" for i in range(replicas)]
    strategy = tf.distribute.MirroredStrategy(devices)

    import keras

    from keras_audio_ssl.methods import BYOLA
    from keras_audio_ssl.recipes.run import build_encoder

    with strategy.scope():
        model = BYOLA(build_encoder(encoder, feature_d), pre_norm_mean=-5.0, pre_norm_std=4.0, seed=0)
        model.compile(optimizer=keras.optimizers.Adam(3e-4), jit_compile=False)
        model.build((None, 15200))
        model.optimizer.build(model.trainable_variables)
    waves = tf.random.stateless_normal((4 * global_batch, 15200), seed=(1, 2)) * 0.1
    data = tf.data.Dataset.from_tensor_slices(waves).batch(global_batch, drop_remainder=True).repeat()

    class EpochTimer(keras.callbacks.Callback):
        seconds = []

        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            EpochTimer.seconds.append(time.perf_counter() - self.start)

    model.fit(data, epochs=2, steps_per_epoch=steps, verbose=0, callbacks=[EpochTimer()])
    step_seconds = EpochTimer.seconds[-1] / steps

    collective_ms = 0.0
    if replicas > 1:
        local_batch = global_batch // replicas
        gradients = [tf.zeros(v.shape, v.dtype) for v in model.trainable_variables]
        log_mels = tf.zeros((local_batch, 64, 96, 1))

        @tf.function
        def collectives():
            def replica_fn():
                context = tf.distribute.get_replica_context()
                reduced = context.all_reduce(tf.distribute.ReduceOp.SUM, gradients)
                bank = context.all_gather(log_mels, axis=0)
                stats = context.all_reduce(tf.distribute.ReduceOp.SUM, [tf.reduce_sum(log_mels)] * 3)
                return tf.add_n([tf.reduce_sum(r) for r in reduced]) + tf.reduce_sum(bank) + tf.add_n(stats)

            return strategy.run(replica_fn)

        for _ in range(3):
            collectives()
        start = time.perf_counter()
        for _ in range(steps):
            collectives()
        collective_ms = 1000 * (time.perf_counter() - start) / steps
    parameters = sum(int(tf.size(v)) for v in model.trainable_variables)
    return {
        "replicas": replicas,
        "global_batch": global_batch,
        "device": "GPU" if gpus else "logical CPU",
        "clips_per_s": global_batch / step_seconds,
        "step_ms": 1000 * step_seconds,
        "collective_ms": collective_ms,
        "gradient_mb": 4 * parameters / 1e6,
    }


def _child(replicas, global_batch, feature_d, steps):
    here = os.path.dirname(os.path.abspath(__file__))
    code = (f"import json, scaling; print(json.dumps(scaling.measure_replicas({replicas}, {global_batch}, "
            f"{feature_d}, {steps})))")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([here, os.path.dirname(here), os.environ.get("PYTHONPATH", "")]))
    out = subprocess.run([sys.executable, "-c", code], cwd=here, capture_output=True, text=True, env=env, timeout=1800)
    if out.returncode != 0:
        raise RuntimeError(f"replicas={replicas}, batch={global_batch} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def input_clips_per_core(num_clips=256, batch_size=64, batches=16):
    """`(clips/s of the TFRecord input pipeline per CPU core, MB read per clip)`, measured here on
    10-s clips (AudioSet's length): decode + crop + batch."""
    import tensorflow as tf

    from keras_audio_ssl import synthetic
    from keras_audio_ssl.data import make_pretraining_dataset
    from keras_audio_ssl.data import write_tfrecord_shards

    with tempfile.TemporaryDirectory() as tmp:
        paths = synthetic.write_wav_folder(os.path.join(tmp, "wav"),
                                           synthetic.make_unlabeled_corpus(num_clips, seconds=10.0, seed=0))
        index = write_tfrecord_shards(paths, os.path.join(tmp, "shards"), num_shards=4, progress=False)
        clip_mb = sum(os.path.getsize(os.path.join(tmp, "shards", s["file"])) for s in index["shards"]) / 1e6 / num_clips
        dataset = make_pretraining_dataset(os.path.join(tmp, "shards"), batch_size=batch_size, seed=0, repeat=True)
        iterator = iter(dataset)
        for _ in range(2):
            next(iterator)
        start = time.perf_counter()
        for _ in range(batches):
            tf.convert_to_tensor(next(iterator)).numpy()
        rate = batch_size * batches / (time.perf_counter() - start)
    return rate / (os.cpu_count() or 1), clip_mb


def audioset_estimate(*, gflop_per_clip, gradient_mb, batch_per_gpu, gpus, gpu_tflops, allreduce_gbps,
                      input_per_core, cores_per_gpu, storage_gbps, clip_mb, clips=AUDIOSET_CLIPS):
    """`(clips/s per GPU from compute, rows)`; a row is `(N, hours per epoch, all-reduce efficiency,
    what limits the rate: "compute", "decoding" or "storage")`.

    Per GPU: clips/s = achieved TFLOP/s / GFLOP per clip. Per step, a ring all-reduce moves
    2 (N - 1) / N x the gradient bytes through each GPU's link; the step time is compute (the
    per-GPU batch at that rate) plus that transfer, not overlapped (a pessimistic bound). The
    input pipeline decodes at most `cores_per_gpu` x the measured clips/s per core for each GPU,
    and every clip is read whole from the shards (a 0.95-s crop of a 10-s clip still reads the
    clip): the store delivers at most `storage_gbps` / clip size clips/s to all GPUs together.
    """
    per_gpu = gpu_tflops * 1e3 / gflop_per_clip
    decoded = cores_per_gpu * input_per_core
    stored = storage_gbps * 1e3 / clip_mb
    rows = []
    for n in gpus:
        compute_s = batch_per_gpu / per_gpu
        comm_s = 2 * (n - 1) / n * gradient_mb / 1e3 / allreduce_gbps if n > 1 else 0.0
        efficiency = compute_s / (compute_s + comm_s)
        limits = {"compute": n * per_gpu * efficiency, "decoding": n * decoded, "storage": stored}
        limit = min(limits, key=limits.get)
        rows.append((n, clips / limits[limit] / 3600, efficiency, limit))
    return per_gpu, rows


def main(argv=None):
    from results import add_write_docs_argument

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[16, 32, 64, 128, 256],
                        help="global batches measured on one replica")
    parser.add_argument("--global-batch", type=int, default=64, help="global batch of the replicas sweep")
    parser.add_argument("--feature-d", type=int, default=512)
    parser.add_argument("--steps", type=int, default=8, help="timed steps per measurement")
    parser.add_argument("--gpus", type=int, nargs="+", default=[1, 8, 64, 256],
                        help="accelerator counts for the AudioSet estimate")
    parser.add_argument("--gpu-tflops", type=float, default=20.0,
                        help="ASSUMED achieved TFLOP/s per accelerator (default 20: ~2 %% of an H100's dense "
                             "bf16 peak, a third of its float32 peak: 64-channel convolutions on 64 x 96 "
                             "log-mels and the memory-bound augmentation use little of it)")
    parser.add_argument("--allreduce-gbps", type=float, default=50.0,
                        help="ASSUMED all-reduce bandwidth per accelerator in GB/s (default 50: NVLink within a "
                             "node is higher, 400 Gb/s Ethernet/InfiniBand across nodes about this)")
    parser.add_argument("--storage-gbps", type=float, default=5.0,
                        help="ASSUMED read bandwidth of the shard store in GB/s, all accelerators together "
                             "(default 5: a few local NVMe drives or a parallel filesystem)")
    parser.add_argument("--cores-per-gpu", type=int, default=12,
                        help="ASSUMED CPU cores decoding audio per accelerator in the estimate (default 12)")
    parser.add_argument("--batch-per-gpu", type=int, default=256,
                        help="batch per accelerator in the estimate (default: the paper's 256)")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke test")
    add_write_docs_argument(parser)
    args = parser.parse_args(argv)
    for name in ("replicas", "batch_sizes", "gpus"):
        if any(v < 1 for v in getattr(args, name)) or (name == "gpus" and args.batch_per_gpu < 1):
            parser.error(f"--{name.replace('_', '-')} takes positive integers: {getattr(args, name)}")
    bad = [r for r in args.replicas if args.global_batch % r]
    if bad:
        parser.error(f"--global-batch {args.global_batch} does not split evenly between {bad} replicas")
    if args.quick:
        args.steps, args.feature_d, args.global_batch = 2, 64, 8
        args.batch_sizes = [b for b in args.batch_sizes if b <= 16] or [8]

    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from keras_audio_ssl import cpu_info
    from throughput import step_gflop_per_clip

    print(cpu_info.stamp_line(), flush=True)
    gflop = step_gflop_per_clip("audio_ntt2020", args.feature_d)
    print(f"BYOL-A AudioNTT2020 d={args.feature_d}, "
          f"{gflop:.3f} GFLOP per clip (traced graph)", flush=True)

    by_replicas = []
    for r in args.replicas:
        row = _child(r, args.global_batch, args.feature_d, args.steps)
        by_replicas.append(row)
        print(f"  measured {r} replica(s) ({row['device']}), batch {args.global_batch}: "
              f"{row['clips_per_s']:.1f} clips/s", flush=True)
    by_batch = []
    for b in args.batch_sizes:
        same = [r for r in by_replicas if r["replicas"] == 1 and r["global_batch"] == b]
        row = same[0] if same else _child(1, b, args.feature_d, args.steps)
        by_batch.append(row)
        print(f"  measured 1 replica, batch {b}: {row['clips_per_s']:.1f} clips/s", flush=True)

    print(f"\nThroughput vs batch size (1 replica, {by_batch[0]['device']}):")
    print(f"{'batch':>6} {'clips/s':>9} {'step ms':>9} {'vs smallest':>12}")
    for row in by_batch:
        print(f"{row['global_batch']:>6} {row['clips_per_s']:>9.1f} {row['step_ms']:>9.1f} "
              f"{row['clips_per_s'] / by_batch[0]['clips_per_s']:>11.2f}x")

    base = by_replicas[0]
    print(f"\nThroughput vs replicas (global batch {args.global_batch}, {base['device']}"
          + ("; logical CPU devices share the same cores: this is overhead, not speed-up" if
             base["device"] == "logical CPU" else "") + "):")
    print(f"{'replicas':>8} {'clips/s':>9} {'vs 1':>6} {'step ms':>9} {'collectives ms':>15} {'share':>7}")
    for row in by_replicas:
        share = row["collective_ms"] / row["step_ms"]
        print(f"{row['replicas']:>8} {row['clips_per_s']:>9.1f} {row['clips_per_s'] / base['clips_per_s']:>5.2f}x "
              f"{row['step_ms']:>9.1f} {row['collective_ms']:>15.2f} {100 * share:>6.1f}%")

    per_core, clip_mb = input_clips_per_core(num_clips=32 if args.quick else 256, batches=4 if args.quick else 16)
    reference = max(by_batch, key=lambda r: r["global_batch"])
    per_gpu, rows = audioset_estimate(
        gflop_per_clip=gflop, gradient_mb=reference["gradient_mb"], batch_per_gpu=args.batch_per_gpu, gpus=args.gpus,
        gpu_tflops=args.gpu_tflops, allreduce_gbps=args.allreduce_gbps, input_per_core=per_core,
        cores_per_gpu=args.cores_per_gpu, storage_gbps=args.storage_gbps, clip_mb=clip_mb)
    cpu_hours = AUDIOSET_CLIPS / reference["clips_per_s"] / 3600
    print(f"\nOne AudioSet epoch ({AUDIOSET_CLIPS / 1e6:.1f} M clips, one 0.95-s crop each), from the measured "
          f"{gflop:.2f} GFLOP/clip, {reference['gradient_mb']:.1f} MB of float32 gradients per step and "
          f"{per_core:.0f} clips/s of TFRecord decoding per CPU core, {clip_mb:.3f} MB read per 10-s clip:")
    print(f"  this CPU ({os.cpu_count()} cores, {reference['clips_per_s']:.1f} clips/s at batch "
          f"{reference['global_batch']}): {cpu_hours:.1f} h per epoch, {100 * cpu_hours / 24:.0f} days for "
          "the paper's 100 epochs")
    print(f"  ASSUMED {args.gpu_tflops:g} TFLOP/s achieved per accelerator -> {per_gpu:,.0f} clips/s each; "
          f"ASSUMED {args.allreduce_gbps:g} GB/s all-reduce bandwidth; batch {args.batch_per_gpu} per "
          "accelerator (the global batch grows with N: beyond a few thousand, large-batch training needs "
          "learning-rate scaling the papers did not use); compute and all-reduce not overlapped; ASSUMED "
          f"{args.cores_per_gpu} CPU cores decoding per accelerator ({args.cores_per_gpu * per_core:,.0f} clips/s; "
          f"{per_gpu / per_core:.0f} cores would keep one accelerator busy, or a tf.data service); ASSUMED "
          f"{args.storage_gbps:g} GB/s read from the shard store for all accelerators together "
          f"({args.storage_gbps * 1e3 / clip_mb:,.0f} clips/s)")
    print(f"{'accelerators':>12} {'min/epoch':>10} {'100 epochs':>11} {'all-reduce eff.':>16} {'limited by':>11}")
    for n, hours, efficiency, limit in rows:
        print(f"{n:>12} {60 * hours:>10.1f} {100 * hours:>9.1f} h {100 * efficiency:>15.1f}% {limit:>11}")
    if args.write_docs:
        write_docs(by_batch, by_replicas, rows, args, argv)
    return 0


def write_docs(by_batch, by_replicas, estimate, args, argv=None):
    """The three tables as `docs/results/scaling.md`; clips/s vs batch and vs replicas as a plot."""
    from results import bar_chart
    from results import command_line
    from results import markdown_table
    from results import new_figure
    from results import write_results

    base = by_replicas[0]
    md = "\n\n".join([
        f"Throughput vs batch size (1 replica, {by_batch[0]['device']}, BYOL-A d={args.feature_d}):",
        markdown_table(["batch", "clips/s", "step ms"],
                       [(r["global_batch"], f"{r['clips_per_s']:.1f}", f"{r['step_ms']:.1f}") for r in by_batch]),
        f"Throughput vs replicas (global batch {args.global_batch}, {base['device']}):",
        markdown_table(["replicas", "clips/s", "vs 1", "collectives ms / step", "share of the step"],
                       [(r["replicas"], f"{r['clips_per_s']:.1f}", f"{r['clips_per_s'] / base['clips_per_s']:.2f}x",
                         f"{r['collective_ms']:.2f}", f"{100 * r['collective_ms'] / r['step_ms']:.1f} %")
                        for r in by_replicas]),
        f"One AudioSet epoch on N accelerators, ASSUMING {args.gpu_tflops:g} TFLOP/s each, "
        f"{args.allreduce_gbps:g} GB/s all-reduce, {args.cores_per_gpu} decoding cores each and "
        f"{args.storage_gbps:g} GB/s from the shard store (the command's flags):",
        markdown_table(["accelerators", "min/epoch", "100 epochs (h)", "all-reduce efficiency", "limited by"],
                       [(n, f"{60 * hours:.1f}", f"{100 * hours:.1f}", f"{100 * eff:.1f} %", limit)
                        for n, hours, eff, limit in estimate]),
    ])
    figure = new_figure(8.0, 3.6)
    left, right = figure.subplots(1, 2)
    bar_chart(left, [str(r["global_batch"]) for r in by_batch], {"clips/s": [r["clips_per_s"] for r in by_batch]},
              "clips/s", "vs batch (1 replica)")
    bar_chart(right, [str(r["replicas"]) for r in by_replicas], {"clips/s": [r["clips_per_s"] for r in by_replicas]},
              "clips/s", f"vs replicas (global batch {args.global_batch})")
    write_results("scaling", md, figure, args.write_docs, command=command_line("scaling", argv),
                  note="--quick: a smoke test, not a measurement" if args.quick else None)


if __name__ == "__main__":
    sys.exit(main())
