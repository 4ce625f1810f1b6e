"""`python -m keras_audio_ssl.evaluation --model RUN_DIR --tasks BENCH_DIR --output results/`.

Embeds every task's clips with the model, runs the chosen probes and prints the table
(also written to `<output>/results.csv` and `results.md`).

`--task classification` (default): the clip-level tasks, linear probe / kNN (BYOL-A).
`--task sed`: sound event detection on frame embeddings, onset F-measure (an offline
benchmark's `sed` task, a DCASE 2016 task 2 folder or an events CSV).
`--task pitch`: 88-way MIDI pitch, pitch and chroma accuracy (an offline benchmark's
`pitch` task, an NSynth root or a manifest). The last two follow the multiple
sampling strategies paper: 250 epochs, Adam 1e-4, batch 1024, dropout 0.1.

`--suite hares --data-root DIR`: the 12 HARES tasks (`evaluation/suites.py`), each
read from its folder under DIR; the missing ones are named with where to get them,
and the table (`<output>/hares.csv`, `.md`) adds per-group and overall averages.
`--suite offline --tasks BENCH_DIR`: the offline benchmark's six tasks the same way.
Exit codes: 0 all present tasks evaluated, 1 some present task failed (its row says
why), 2 bad input (no task present, a missing model or path).
"""

import argparse
import sys

from keras_audio_ssl.cli_errors import fraction
from keras_audio_ssl.cli_errors import one_line_errors
from keras_audio_ssl.cli_errors import positive_float
from keras_audio_ssl.cli_errors import positive_int


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m keras_audio_ssl.evaluation",
        description="Linear-probe / kNN evaluation of a waveform -> embedding model on downstream tasks.",
    )
    parser.add_argument("--model", required=True, help="run directory (with embedding_model.keras) or a .keras file")
    parser.add_argument("--tasks", nargs="+",
                        help="benchmark folder(s) holding task manifests, manifest CSVs (path,label,split[,fold]), HEAR task "
                             "folders (hear:PATH; scene tasks, event tasks with --task sed) and/or "
                             "TensorFlow Datasets as tfds:NAME (speech_commands, nsynth, crema_d, gtzan; written once as "
                             "WAV files under $KAS_TFDS_CACHE, default ~/.cache/keras_audio_ssl/tfds); "
                             "with --suite offline: the benchmark folder")
    parser.add_argument("--suite", choices=("hares", "offline"), default=None,
                        help="a named task suite with per-group averages: hares (needs --data-root) or offline "
                             "(the offline benchmark folder, as --tasks or --data-root)")
    parser.add_argument("--data-root", default=None,
                        help="--suite hares: the folder holding one folder per task (audioset/, esc50/, ...)")
    parser.add_argument("--hidden-units", type=positive_int, default=512,
                        help="width of the MLP probe's hidden layer (the mlp protocol; HARES's AudioSet; default: 512)")
    parser.add_argument("--task", choices=("classification", "sed", "pitch"), default="classification",
                        help="clip classification (default), sound event detection, or 88-way MIDI pitch")
    parser.add_argument("--output", default="results", help="folder for results.csv / results.md (default: results)")
    parser.add_argument("--protocols", default="linear", help="comma-separated: linear,knn (default: linear)")
    parser.add_argument("--runs", type=positive_int, default=10,
                        help="probe runs with different seeds (default: 10, BYOL-A's count)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=positive_int, default=None,
                        help="probe epochs: at most 200 with early stopping for classification, "
                             "exactly 250 for sed / pitch (the defaults)")
    parser.add_argument("--patience", type=positive_int, default=10, help="early-stopping patience (default: 10)")
    parser.add_argument("--learning-rate", type=positive_float, default=None,
                        help="probe learning rate (default: 1e-3 classification, 1e-4 sed / pitch)")
    parser.add_argument("--probe-batch-size", type=positive_int, default=1024, help="sed / pitch probe batch (default: 1024)")
    parser.add_argument("--dropout", type=fraction, default=0.1, help="sed / pitch probe dropout (default: 0.1)")
    parser.add_argument("--threshold", type=fraction, default=0.5, help="sed: frame probability threshold (default: 0.5)")
    parser.add_argument("--median-seconds", type=positive_float, default=0.25,
                        help="sed: median filter length in seconds (default: 0.25)")
    parser.add_argument("--k", type=positive_int, default=200, help="kNN neighbours (default: 200)")
    parser.add_argument("--normalize-with", choices=("downstream", "pretraining"), default="downstream",
                        help="log-mel statistics: of the downstream train set (BYOL-A protocol) or stored in the model")
    parser.add_argument("--batch-size", type=positive_int, default=32, help="clips per embedding batch")
    parser.add_argument("--clip-length", choices=("unit", "whole"), default="unit",
                        help="classification inputs: one seeded random crop of the task's unit length per clip, "
                             "shorter clips zero-padded (default, BYOL-A's protocol), or whole clips")
    parser.add_argument("--unit-seconds", type=positive_float, default=None,
                        help="the unit length for --clip-length unit (default: the dataset's published average "
                             "duration where the layout knows it, else the mean clip duration)")
    parser.add_argument("--stats-crops", type=positive_int, default=10000,
                        help="random training crops the normalisation statistics come from (default: 10000)")
    parser.add_argument("--max-seconds", type=positive_float, default=None,
                        help="--clip-length whole: centre-crop clips longer than this")
    parser.add_argument("--name", default=None, help="file stem of the outputs (default: results, or the suite name)")
    return parser


def _classification_probe(args):
    return dict(epochs=args.epochs or 200, patience=args.patience, learning_rate=args.learning_rate or 1e-3)


def _sed_probe(args):
    return dict(epochs=args.epochs or 250, learning_rate=args.learning_rate or 1e-4,
                batch_size=args.probe_batch_size, dropout=args.dropout)


def _suite_root(args):
    if args.data_root:
        return args.data_root
    if args.tasks and len(args.tasks) == 1:
        return args.tasks[0]
    raise ValueError(f"--suite {args.suite} needs one data folder: --data-root DIR"
                     + (" (or --tasks BENCH_DIR)" if args.suite == "offline" else "")
                     + f". Received: data_root={args.data_root}, tasks={args.tasks}")


def _check_suite_data(args):
    from keras_audio_ssl.evaluation.suites import locate_tasks
    from keras_audio_ssl.evaluation.suites import missing_message

    root = _suite_root(args)
    present, missing = locate_tasks(args.suite, root)
    if not present:
        raise ValueError(f"No {args.suite} task found. " + missing_message(args.suite, root, missing))


def _run_suite(args, model):
    from keras_audio_ssl.evaluation.suites import evaluate_suite

    return evaluate_suite(
        model, args.suite, _suite_root(args), runs=args.runs, seed=args.seed, normalize_with=args.normalize_with,
        batch_size=args.batch_size, clip_length=args.clip_length, max_seconds=args.max_seconds,
        probe_kwargs=dict(_classification_probe(args), hidden_units=args.hidden_units, stats_crops=args.stats_crops),
        sed_kwargs=dict(_sed_probe(args), threshold=args.threshold, median_seconds=args.median_seconds),
    )


def _evaluate(args, model):
    from keras_audio_ssl.evaluation import tasks as task_lists
    from keras_audio_ssl.evaluation.results import results_frame

    if args.task == "classification":
        return task_lists.evaluate_tasks(
            model, task_lists.load_tasks(args.tasks), protocols=tuple(p.strip() for p in args.protocols.split(",")
                                                                      if p.strip()),
            runs=args.runs, seed=args.seed, normalize_with=args.normalize_with, batch_size=args.batch_size, k=args.k,
            clip_length=args.clip_length, unit_seconds=args.unit_seconds, stats_crops=args.stats_crops,
            max_seconds=args.max_seconds, hidden_units=args.hidden_units, **_classification_probe(args),
        )
    probe = _sed_probe(args)
    rows = []
    if args.task == "sed":
        from keras_audio_ssl.evaluation.sed_probe import evaluate_sed

        for task in task_lists.load_sound_event_tasks(args.tasks):
            rows.append(evaluate_sed(model, task, runs=args.runs, seed=args.seed, normalize_with=args.normalize_with,
                                     threshold=args.threshold, median_seconds=args.median_seconds, verbose=True,
                                     **probe))
    else:
        from keras_audio_ssl.evaluation.pitch_probe import evaluate_pitch

        for task in task_lists.load_pitch_tasks(args.tasks):
            rows.append(evaluate_pitch(model, task, runs=args.runs, seed=args.seed, normalize_with=args.normalize_with,
                                       embed_batch_size=args.batch_size, max_seconds=args.max_seconds, **probe))
    return results_frame(rows)


@one_line_errors
def main(argv=None):
    args = build_parser().parse_args(argv)
    from keras_audio_ssl.encoders import load_embedding_model
    from keras_audio_ssl.evaluation.results import to_markdown
    from keras_audio_ssl.evaluation.results import write_results

    if not args.suite and not args.tasks:
        print("error: give --tasks (benchmark folders / manifests) or --suite hares|offline", file=sys.stderr)
        return 2
    if args.suite and args.unit_seconds is not None:
        print("error: --unit-seconds applies to --tasks; with --suite each task keeps its own unit length",
              file=sys.stderr)
        return 2
    from keras_audio_ssl.evaluation.results import check_output_folder

    check_output_folder(args.output)  # before the work: a file there used to lose every result at the end
    failed = []
    try:
        if args.suite:
            _check_suite_data(args)  # before the model loads
        model = load_embedding_model(args.model)
        if args.suite:
            table, _, failed = _run_suite(args, model)
        else:
            table = _evaluate(args, model)
    except (ValueError, FileNotFoundError) as error:
        # The user's input (a path, a manifest, an argument) is wrong: one line, not a traceback.
        print(f"error: {error}", file=sys.stderr)
        return 2
    name = args.name or args.suite or "results"
    title = f"{args.suite.upper()} evaluation of {args.model}" if args.suite else f"Evaluation of {args.model}"
    csv_path, md_path = write_results(table, args.output, name, title=title)
    shown = table.drop(columns=["scores"], errors="ignore")
    if args.suite:
        shown = shown[[c for c in ("group", "task", "protocol", "metric", "score", "score_std", "n_train", "n_test",
                                   "n_classes", "status") if c in shown.columns]]
    print(to_markdown(shown))
    print(f"\nwrote {csv_path} and {md_path}")
    for task, message in failed:
        print(f"error: {task.name}: {message}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
