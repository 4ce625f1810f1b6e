"""`python -m keras_audio_ssl.hear --model <run dir | .keras>`: the HEAR validator's checks, torch-free."""

import argparse
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m keras_audio_ssl.hear", description=__doc__)
    parser.add_argument("--model", required=True, help="run directory or embedding .keras file")
    parser.add_argument("--hop-ms", type=float, default=None,
                        help="largest interval between timestamp embeddings (default: the module's, 50 ms)")
    args = parser.parse_args(argv)
    from keras_audio_ssl.console import import_tensorflow_quietly

    import_tensorflow_quietly()
    from keras_audio_ssl import hear
    from keras_audio_ssl.hear.checks import HearCheckError
    from keras_audio_ssl.hear.checks import run_checks

    options = {} if args.hop_ms is None else {"hop_ms": args.hop_ms}
    try:
        model = hear.load_model(args.model, **options)
    except (ValueError, FileNotFoundError) as error:
        print(f"error: --model: {error}", file=sys.stderr)
        return 2
    try:
        for line in run_checks(hear, model):
            print(f"  - {line}")
    except HearCheckError as error:
        print(f"FAILED: {error}", file=sys.stderr)
        return 1
    print("HEAR API checks passed (the checks of hear-validator 2021.0.2)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
