"""`python -m keras_audio_ssl.evaluation --model RUN_DIR --tasks BENCH_DIR --output results/`.

Embeds every task's clips with the model, runs the chosen probes and prints the table
(also written to `<output>/results.csv` and `results.md`).

`--task classification` (default): the clip-level tasks, linear probe / kNN (BYOL-A).
`--task sed`: sound event detection on frame embeddings, onset F-measure (an offline
benchmark's `sed` task, a DCASE 2016 task 2 folder or an events CSV).
`--task pitch`: 88-way MIDI pitch, pitch and chroma accuracy (an offline benchmark's
`pitch` task, an NSynth root or a manifest). The last two follow the multiple
sampling strategies paper: 250 epochs, Adam 1e-4, batch 1024, dropout 0.1.
"""

import argparse
import sys


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m keras_audio_ssl.evaluation",
        description="Linear-probe / kNN evaluation of a waveform -> embedding model on downstream tasks.",
    )
    parser.add_argument("--model", required=True, help="run directory (with embedding_model.keras) or a .keras file")
    parser.add_argument("--tasks", required=True, nargs="+",
                        help="benchmark folder(s) holding task manifests and/or manifest CSVs (path,label,split[,fold])")
    parser.add_argument("--task", choices=("classification", "sed", "pitch"), default="classification",
                        help="clip classification (default), sound event detection, or 88-way MIDI pitch")
    parser.add_argument("--output", default="results", help="folder for results.csv / results.md (default: results)")
    parser.add_argument("--protocols", default="linear", help="comma-separated: linear,knn (default: linear)")
    parser.add_argument("--runs", type=int, default=3, help="linear-probe runs with different seeds (default: 3)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=None,
                        help="probe epochs: at most 200 with early stopping for classification, "
                             "exactly 250 for sed / pitch (the defaults)")
    parser.add_argument("--patience", type=int, default=10, help="early-stopping patience (default: 10)")
    parser.add_argument("--learning-rate", type=float, default=None,
                        help="probe learning rate (default: 1e-3 classification, 1e-4 sed / pitch)")
    parser.add_argument("--probe-batch-size", type=int, default=1024, help="sed / pitch probe batch (default: 1024)")
    parser.add_argument("--dropout", type=float, default=0.1, help="sed / pitch probe dropout (default: 0.1)")
    parser.add_argument("--threshold", type=float, default=0.5, help="sed: frame probability threshold (default: 0.5)")
    parser.add_argument("--median-seconds", type=float, default=0.25,
                        help="sed: median filter length in seconds (default: 0.25)")
    parser.add_argument("--k", type=int, default=200, help="kNN neighbours (default: 200)")
    parser.add_argument("--normalize-with", choices=("downstream", "pretraining"), default="downstream",
                        help="log-mel statistics: of the downstream train set (BYOL-A protocol) or stored in the model")
    parser.add_argument("--batch-size", type=int, default=32, help="clips per embedding batch")
    parser.add_argument("--max-seconds", type=float, default=None, help="centre-crop clips longer than this")
    parser.add_argument("--name", default="results", help="file stem of the outputs (default: results)")
    return parser


def _evaluate(args, model):
    from keras_audio_ssl.evaluation import tasks as task_lists
    from keras_audio_ssl.evaluation.results import results_frame

    if args.task == "classification":
        return task_lists.evaluate_tasks(
            model, task_lists.load_tasks(args.tasks), protocols=tuple(p.strip() for p in args.protocols.split(",")
                                                                      if p.strip()),
            runs=args.runs, seed=args.seed, normalize_with=args.normalize_with, batch_size=args.batch_size, k=args.k,
            max_seconds=args.max_seconds, epochs=args.epochs or 200, patience=args.patience,
            learning_rate=args.learning_rate or 1e-3,
        )
    probe = dict(epochs=args.epochs or 250, learning_rate=args.learning_rate or 1e-4,
                 batch_size=args.probe_batch_size, dropout=args.dropout)
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


def main(argv=None):
    args = build_parser().parse_args(argv)
    from keras_audio_ssl.encoders import load_embedding_model
    from keras_audio_ssl.evaluation.results import to_markdown
    from keras_audio_ssl.evaluation.results import write_results

    try:
        model = load_embedding_model(args.model)
        table = _evaluate(args, model)
    except (ValueError, FileNotFoundError) as error:
        # The user's input (a path, a manifest, an argument) is wrong: one line, not a traceback.
        print(f"error: {error}", file=sys.stderr)
        return 2
    csv_path, md_path = write_results(table, args.output, args.name, title=f"Evaluation of {args.model}")
    shown = table.drop(columns=["scores"], errors="ignore")
    print(to_markdown(shown))
    print(f"\nwrote {csv_path} and {md_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
