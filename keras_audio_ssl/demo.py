"""BYOL-A in a few minutes on audio made in code: `python -m keras_audio_ssl.demo`.

1. Synthesizes an unlabeled pool of varied sounds and a small labeled task (six
   sound classes; train and test clips drawn from disjoint pitch bands, see
   `keras_audio_ssl.synthetic`). Nothing is downloaded.
2. Pretrains BYOL-A (AudioNTT2020, d=512) briefly with `recipes.byola.fit`.
3. Fits a linear probe (`evaluation.linear_probe`) on frozen embeddings of the
   labeled task, for the pretrained encoder and for the same encoder randomly
   initialised, and prints both test accuracies side by side.

At a budget this small a random convolutional encoder is a strong baseline:
the numbers are printed as measured, whichever wins.
"""

import argparse
import os
import sys
import tempfile
import time

import numpy as np

# Full demo: sized to finish in about 5 minutes on 2 CPU cores.
FULL = dict(pool_clips=1024, train_per_class=40, test_per_class=40, epochs=6, batch_size=64, feature_d=512)
QUICK = dict(pool_clips=48, train_per_class=6, test_per_class=4, epochs=1, batch_size=16, feature_d=64)


def _embed(model, waveforms, batch_size=64):
    return np.asarray(model.predict(waveforms, batch_size=batch_size, verbose=0))


def run(*, quick=False, output_dir=None, seed=0, verbose=1):
    """Runs the demo; returns a dict of the measured accuracies and timings."""
    import keras
    import tensorflow as tf

    from keras_audio_ssl import synthetic
    from keras_audio_ssl.encoders import build_embedding_model
    from keras_audio_ssl.encoders import load_embedding_model
    from keras_audio_ssl.evaluation.linear_probe import linear_probe
    from keras_audio_ssl.recipes import byola
    from keras_audio_ssl.recipes import run

    size = QUICK if quick else FULL
    tf.get_logger().setLevel("ERROR")  # the probe's many small models trigger retracing notices
    start = time.time()
    seconds = 0.95
    if output_dir is None:
        output_dir = tempfile.mkdtemp(prefix="byola_demo_")

    print(f"[1/3] Synthesizing {size['pool_clips']} unlabeled clips and a labeled task "
          f"({len(synthetic.CLASS_NAMES)} classes: {', '.join(synthetic.CLASS_NAMES)})", flush=True)
    pool = synthetic.make_unlabeled_corpus(size["pool_clips"], seconds=seconds, seed=seed)
    task = synthetic.make_labeled_task(
        size["train_per_class"], size["test_per_class"], seconds=seconds, seed=seed + 1
    )
    print(f"      labeled: {len(task['y_train'])} train / {len(task['y_test'])} test clips "
          "(test pitches from bands never seen in training)", flush=True)

    print(f"[2/3] Pretraining BYOL-A (d={size['feature_d']}, {size['epochs']} epochs, "
          f"batch {size['batch_size']}) into {output_dir}", flush=True)
    pretrain_start = time.time()
    byola.fit(
        pool,
        output_dir=output_dir,
        feature_d=size["feature_d"],
        epochs=size["epochs"],
        batch_size=size["batch_size"],
        memory_size=min(2048, size["pool_clips"]),
        norm_stats_samples=size["pool_clips"],
        seed=seed,
        verbose=2 if verbose else 0,
    )
    pretrain_seconds = time.time() - pretrain_start

    print("[3/3] Linear probe on frozen embeddings (pretrained vs random init)", flush=True)
    pretrained = load_embedding_model(output_dir)
    normalization = _read_json(os.path.join(output_dir, "normalization.json"))
    keras.utils.set_random_seed(seed + 123)
    random_encoder = run.build_encoder("AudioNTT2020", size["feature_d"])
    random_model = build_embedding_model(random_encoder, mean=normalization["mean"], std=normalization["std"])

    runs = 1 if quick else 3
    results = {}
    for name, model in (("pretrained BYOL-A", pretrained), ("random init", random_model)):
        emb_train = _embed(model, task["x_train"])
        emb_test = _embed(model, task["x_test"])
        if not (np.all(np.isfinite(emb_train)) and np.all(np.isfinite(emb_test))):
            raise RuntimeError(f"The {name} encoder produced non-finite embeddings.")
        probe = linear_probe(
            emb_train, task["y_train"], emb_test, task["y_test"], runs=runs, seed=seed, epochs=30 if quick else 200
        )
        results[name] = probe

    elapsed = time.time() - start
    chance = 1.0 / len(synthetic.CLASS_NAMES)
    print()
    print(f"Linear-probe test accuracy on the synthetic {len(synthetic.CLASS_NAMES)}-class task "
          f"(chance {chance:.1%}, mean ± std over {runs} probe run(s)):")
    print(f"  {'encoder':<20} {'accuracy':>10}")
    for name, probe in results.items():
        print(f"  {name:<20} {probe['accuracy']:>9.1%} ± {probe['accuracy_std']:.1%}")
    print(f"Elapsed: {elapsed:.0f} s (pretraining {pretrain_seconds:.0f} s). Run directory: {output_dir}")
    print()
    print("Next: ship the encoder you just trained (from the repository root), then embed a file with it:")
    for command in next_steps(output_dir):
        print(f"  {command}")
    print("Your own audio: see \"Your own data\" in README.md (pretrain on a folder, evaluate, export).")
    return {
        "pretrained_accuracy": float(results["pretrained BYOL-A"]["accuracy"]),
        "random_accuracy": float(results["random init"]["accuracy"]),
        "elapsed_seconds": elapsed,
        "pretrain_seconds": pretrain_seconds,
        "output_dir": output_dir,
    }


def next_steps(run_dir):
    """The export and embedding commands for a run directory, as the demo prints them."""
    export = os.path.join(os.path.dirname(run_dir.rstrip(os.sep)) or ".", "byola_demo_export")
    python = os.path.relpath(sys.executable) if sys.executable.startswith(os.getcwd() + os.sep) else "python"
    return [
        f"{python} tools/export_savedmodel.py --model {run_dir} --output {export}/serving",
        f"{python} tools/export_tflite.py --model {run_dir} --output {export}/byola.tflite",
        f"{python} tools/embed.py --model {run_dir} --audio your_clip.wav",
    ]


def _read_json(path):
    import json

    with open(path) as f:
        return json.load(f)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m keras_audio_ssl.demo", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a smoke test, ~1 minute)")
    parser.add_argument("--output-dir", default=None, help="run directory (default: a new temp folder)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    run(quick=args.quick, output_dir=args.output_dir, seed=args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
