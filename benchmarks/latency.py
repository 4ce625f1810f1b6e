"""Single-clip embedding latency and file size: Keras vs TFLite fp32 / fp16 / int8.

    python benchmarks/latency.py [--encoder audio_ntt2020] [--feature-d 512 2048] [--seconds 1.0]
        [--variants fp32,float16,int8] [--runs 200] [--quick]

Builds an embedding model on a registered encoder (AudioNTT2020 by default; untrained
weights: latency does not depend on their values), exports each TFLite variant, and times one clip per
call (median over --runs after warm-up) with 1 interpreter thread and with all
threads. Target (issue 5): fp32 1-s embedding at d=512 in <= 2 ms on this CPU. Each
1-thread figure is also printed as a fraction of one core's float32 GEMM peak for the
model's FLOPs (`flops.py`, front end included; the GEMM with one TensorFlow thread in a
child process); speed target: >= 50 % for fp32, and the faster thread count named.
Then the batch figure: `--batch-clips` (256) 1-s clips -> embeddings, clips/s, for Keras
(one tf.function call on the whole batch, and `chunked_embedding_fn`'s chunks of
`EMBED_CHUNK_CLIPS`, the path evaluation embeds through; timed in alternating rounds) and each TFLite file (clip after clip through its `[1, N]`
input, with the faster thread count); the official PyTorch BYOL-A embeds 100.8 clips/s on the
2-vCPU Xeon kind of this project's machines.
`--quick` validates the script with few runs; its numbers are not measurements.
"""

import argparse
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from results import add_write_docs_argument  # noqa: E402


def median_ms(fn, runs, warmup):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * float(np.median(times))


def tflite_runner(path, clip, threads):
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=path, num_threads=threads)
    interpreter.allocate_tensors()
    index_in = interpreter.get_input_details()[0]["index"]
    index_out = interpreter.get_output_details()[0]["index"]

    def run():
        interpreter.set_tensor(index_in, clip)
        interpreter.invoke()
        return interpreter.get_tensor(index_out)

    return run


def batch_tflite_runner(path, clips, threads):
    """Every clip of the batch through the exported `[1, N]` model, one invoke each (the file's
    reshapes fix the batch at 1: XNNPack refuses a resized input)."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=path, num_threads=threads)
    interpreter.allocate_tensors()
    index_in = interpreter.get_input_details()[0]["index"]
    index_out = interpreter.get_output_details()[0]["index"]

    def run():
        out = []
        for clip in clips:
            interpreter.set_tensor(index_in, clip[None])
            interpreter.invoke()
            out.append(interpreter.get_tensor(index_out))
        return out

    return run


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--encoder", default="audio_ntt2020", help="a registered encoder (encoders.names())")
    parser.add_argument("--feature-d", type=int, nargs="+", default=[512],
                        help="encoder width(s), where the encoder takes one")
    parser.add_argument("--variants", default="fp32,float16,int8", help="comma-separated TFLite variants to time")
    parser.add_argument("--batch-clips", type=int, default=256, help="clips in the batch-embedding figure (0: skip)")
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="few runs, few calibration clips: checks the script only")
    add_write_docs_argument(parser)
    args = parser.parse_args(argv)
    runs, warmup, calibration = (args.runs, 20, 100) if not args.quick else (5, 2, 8)
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    known = {"fp32": "none", "float16": "float16", "int8": "int8"}
    unknown = [v for v in variants if v not in known]
    if unknown:
        parser.error(f"unknown --variants {unknown}; choose from {sorted(known)}")

    import keras
    import tensorflow as tf

    from keras_audio_ssl import encoders
    from keras_audio_ssl.encoders import EMBED_CHUNK_CLIPS
    from keras_audio_ssl.encoders import build_embedding_model
    from keras_audio_ssl.encoders import chunked_embedding_fn
    from keras_audio_ssl.recipes.run import build_encoder
    from keras_audio_ssl.export import export_tflite
    from keras_audio_ssl.export.calibration import speech_like_waveforms

    from flops import embedding_gflop
    from keras_audio_ssl import cpu_info
    from throughput import one_core_gemm_gflops

    print(cpu_info.stamp_line(), flush=True)
    all_threads = os.cpu_count() or 1
    core_peak = one_core_gemm_gflops(512 if args.quick else 2048)
    model_gflop = {}
    num_samples = int(round(args.seconds * 16000))
    clip = speech_like_waveforms(1, args.seconds, seed=3)[:1]
    rows, batch_rows = [], []
    batch = None
    if args.batch_clips:
        batch = np.concatenate([clip] * args.batch_clips).astype(np.float32)
        batch += 1e-3 * np.random.default_rng(0).standard_normal(batch.shape).astype(np.float32)
    batch_runs = max(3, runs // 50)
    with tempfile.TemporaryDirectory() as tmp:
        try:
            encoders.get_class(args.encoder)
        except ValueError as error:
            parser.error(str(error))
        for d in args.feature_d:
            model = build_embedding_model(build_encoder(args.encoder, d), mean=-6.0, std=4.0)
            d = int(model.output_shape[-1])
            model_gflop[d] = embedding_gflop(model, num_samples)
            keras_path = os.path.join(tmp, f"d{d}.keras")
            model.save(keras_path)
            fixed = tf.function(lambda x: model(x, training=False), input_signature=[tf.TensorSpec([1, num_samples], tf.float32)])
            tensor = tf.constant(clip)
            rows.append((d, "keras (tf.function)", os.path.getsize(keras_path), median_ms(lambda: fixed(tensor), runs, warmup), None))
            if batch is not None:
                batched = tf.function(lambda x: model(x, training=False),
                                      input_signature=[tf.TensorSpec([None, num_samples], tf.float32)])
                whole = tf.constant(batch)
                chunked = chunked_embedding_fn(model)
                # The two Keras figures in alternating rounds: a change of load falls on both alike.
                ms_whole, ms_chunked = [], []
                for _ in range(batch_runs):
                    ms_whole.append(median_ms(lambda: batched(whole), 1, 1 if not ms_whole else 0))
                    ms_chunked.append(median_ms(lambda: chunked(batch), 1, 1 if not ms_chunked else 0))
                batch_rows.append((d, "keras, one call", 1000 * len(batch) / np.median(ms_whole), "TF default"))
                batch_rows.append((d, f"keras, chunks of {EMBED_CHUNK_CLIPS}", 1000 * len(batch) / np.median(ms_chunked),
                                   "TF default"))
            for quantize in (known[v] for v in variants):
                path = export_tflite(model, os.path.join(tmp, f"d{d}_{quantize}.tflite"), quantize=quantize,
                                     clip_seconds=args.seconds, max_calibration_clips=calibration)
                one = median_ms(tflite_runner(path, clip, 1), runs, warmup)
                many = median_ms(tflite_runner(path, clip, all_threads), runs, warmup)
                rows.append((d, f"tflite {quantize if quantize != 'none' else 'fp32'}", os.path.getsize(path), one, many))
                if batch is not None:
                    per_thread = {t: median_ms(batch_tflite_runner(path, batch, t), batch_runs, 1)
                                  for t in sorted({1, all_threads})}
                    best = min(per_thread, key=per_thread.get)
                    batch_rows.append((d, f"tflite {quantize if quantize != 'none' else 'fp32'}",
                                       1000 * len(batch) / per_thread[best], f"{best} thread(s)"))
            keras.backend.clear_session()

    label = "QUICK (script check, not a measurement)" if args.quick else f"median of {runs} runs"
    print(f"\n{args.encoder}: single {args.seconds:g}-s clip latency, {label}; "
          f"all threads = {all_threads}; one core's GEMM peak {core_peak:.1f} GFLOP/s; model "
          + ", ".join(f"d={d}: {g:.3f} GFLOP" for d, g in model_gflop.items()))
    print(f"{'d':>5} {'variant':<20} {'size MB':>8} {'1 thread ms':>12} {'% 1-core':>9} {'all threads ms':>15} "
          f"{'faster':>8}")
    for d, name, size, one, many in rows:
        many_text = f"{many:15.2f}" if many is not None else f"{'(tf default)':>15}"
        # The Keras row runs on TensorFlow's default thread pools: no one-core fraction.
        core = "" if many is None else f"{100 * model_gflop[d] / (one / 1000) / core_peak:8.1f}%"
        faster = "" if many is None else ("1" if one <= many else str(all_threads))
        print(f"{d:>5} {name:<20} {size / 1e6:8.2f} {one:12.2f} {core:>9} {many_text} {faster:>8}")
    if batch_rows:
        print(f"\nBatch embedding: {args.batch_clips} x {args.seconds:g}-s clips, median of {batch_runs} runs "
              "(official PyTorch BYOL-A: 100.8 clips/s on the 2-vCPU Xeon kind)")
        print(f"{'d':>5} {'variant':<20} {'clips/s':>10} {'threads':>12}")
        for d, name, rate, threads in batch_rows:
            print(f"{d:>5} {name:<20} {rate:10.1f} {threads:>12}")
    if args.write_docs:
        write_docs(rows, batch_rows, model_gflop, core_peak, all_threads, args, argv)
    return 0


def write_docs(rows, batch_rows, model_gflop, core_peak, all_threads, args, argv=None):
    """The printed tables as `docs/results/latency.md` and a plot of the 1-thread latency per variant."""
    from results import bar_chart
    from results import command_line
    from results import markdown_table
    from results import new_figure
    from results import write_results

    table = []
    for d, name, size, one, many in rows:
        core = "" if many is None else f"{100 * model_gflop[d] / (one / 1000) / core_peak:.1f} %"
        faster = "" if many is None else ("1" if one <= many else str(all_threads))
        table.append((d, name, f"{size / 1e6:.2f}", f"{one:.2f}", core,
                      "TF default" if many is None else f"{many:.2f}", faster))
    md = (f"{args.encoder}, one {args.seconds:g}-s clip per call, median of {5 if args.quick else args.runs} runs; "
          f"one core's float32 GEMM peak {core_peak:.1f} GFLOP/s; model "
          + ", ".join(f"d={d}: {g:.3f} GFLOP" for d, g in model_gflop.items()) + "\n\n"
          + markdown_table(["d", "variant", "size MB", "1 thread ms", "% of one core's peak",
                            f"{all_threads} threads ms", "faster threads"], table))
    if batch_rows:
        md += (f"\n\nBatch embedding, {args.batch_clips} clips:\n\n"
               + markdown_table(["d", "variant", "clips/s", "threads"],
                                [(d, name, f"{rate:.1f}", threads) for d, name, rate, threads in batch_rows]))
    figure = new_figure()
    ax = figure.add_subplot()
    labels = [f"d={d}\n{name}" for d, name, *_ in rows]
    bar_chart(ax, labels, {"1 thread (Keras: TF's default)": [one for *_, one, _ in rows],
                           f"{all_threads} threads": [many for *_, many in rows]},
              "ms per clip", f"{args.encoder}: {args.seconds:g}-s clip embedding latency per variant")
    write_results("latency", md, figure, args.write_docs, command=command_line("latency", argv),
                  note="--quick: a script check, not a measurement" if args.quick else None)


if __name__ == "__main__":
    sys.exit(main())
