"""`python -m keras_audio_ssl.evaluation --model RUN_DIR --tasks BENCH_DIR --output results/`.

Embeds every task's clips with the model, runs the chosen probes and prints the table
(also written to `<output>/results.csv` and `results.md`).
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
    parser.add_argument("--output", default="results", help="folder for results.csv / results.md (default: results)")
    parser.add_argument("--protocols", default="linear", help="comma-separated: linear,knn (default: linear)")
    parser.add_argument("--runs", type=int, default=3, help="linear-probe runs with different seeds (default: 3)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=200, help="maximum linear-probe epochs (default: 200)")
    parser.add_argument("--patience", type=int, default=10, help="early-stopping patience (default: 10)")
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--k", type=int, default=200, help="kNN neighbours (default: 200)")
    parser.add_argument("--normalize-with", choices=("downstream", "pretraining"), default="downstream",
                        help="log-mel statistics: of the downstream train set (BYOL-A protocol) or stored in the model")
    parser.add_argument("--batch-size", type=int, default=32, help="clips per embedding batch")
    parser.add_argument("--max-seconds", type=float, default=None, help="centre-crop clips longer than this")
    parser.add_argument("--name", default="results", help="file stem of the outputs (default: results)")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    from keras_audio_ssl.encoders import load_embedding_model
    from keras_audio_ssl.evaluation.results import to_markdown
    from keras_audio_ssl.evaluation.results import write_results
    from keras_audio_ssl.evaluation.tasks import evaluate_tasks
    from keras_audio_ssl.evaluation.tasks import load_tasks

    protocols = tuple(p.strip() for p in args.protocols.split(",") if p.strip())
    try:
        model = load_embedding_model(args.model)
        tasks = load_tasks(args.tasks)
        table = evaluate_tasks(
            model, tasks, protocols=protocols, runs=args.runs, seed=args.seed, normalize_with=args.normalize_with,
            batch_size=args.batch_size, k=args.k, max_seconds=args.max_seconds, epochs=args.epochs,
            patience=args.patience, learning_rate=args.learning_rate,
        )
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
