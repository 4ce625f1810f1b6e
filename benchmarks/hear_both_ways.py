"""One task folder scored two ways: heareval's downstream training and our linear probe.

    python benchmarks/hear_both_ways.py [--model RUN_DIR|.keras] [--output results/hear_both_ways]
        [--per-class 8 --test-per-class 4] [--grid default] [--probe-runs 3]

Writes the synthetic six-class task (`synthetic.write_labeled_task`: train and
test pitches from disjoint bands), and, without `--model`, an untrained
AudioNTT2020 (d=64, seed 0) as the model; then runs `tools/hear_eval.py --probe`
on it, which converts the task to a HEAR task folder, runs heareval's embeddings
and predictions (its `top1_acc`, model selection on the valid split drawn from
train) and our probe (`python -m keras_audio_ssl.evaluation --tasks
hear:FOLDER`, linear, accuracy) on that same folder, and prints both.
"""

import argparse
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=None, help="run directory or .keras (default: an untrained AudioNTT2020)")
    parser.add_argument("--output", default=os.path.join("results", "hear_both_ways"))
    parser.add_argument("--per-class", type=int, default=8, help="training clips per class (default: 8)")
    parser.add_argument("--test-per-class", type=int, default=4, help="test clips per class (default: 4)")
    parser.add_argument("--grid", default="default", help="heareval's grid (default: default, HEAR's protocol)")
    parser.add_argument("--grid-points", default="8", help="heareval's grid points (default: 8, HEAR's)")
    parser.add_argument("--probe-runs", default="3", help="our probe's runs (default: 3)")
    args = parser.parse_args(argv)
    sys.path.insert(0, REPO)
    from keras_audio_ssl import synthetic

    output = os.path.abspath(args.output)
    csv = synthetic.write_labeled_task(os.path.join(output, "source"), args.per_class, args.test_per_class)
    model = args.model
    if model is None:
        import keras

        from keras_audio_ssl.encoders import AudioNTT2020
        from keras_audio_ssl.encoders import build_embedding_model

        keras.utils.set_random_seed(0)
        model = os.path.join(output, "untrained_audiontt2020_d64.keras")
        if not os.path.exists(model):
            build_embedding_model(AudioNTT2020(feature_d=64), mean=-6.0, std=4.0).save(model)
    command = [sys.executable, os.path.join(REPO, "tools", "hear_eval.py"), "--model", model, "--tasks", csv,
               "--output", output, "--grid", args.grid, "--grid-points", args.grid_points, "--probe",
               "--probe-runs", args.probe_runs]
    return subprocess.run(command).returncode


if __name__ == "__main__":
    sys.exit(main())
