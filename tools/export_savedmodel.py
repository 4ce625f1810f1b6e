"""Exports a trained BYOL-A embedding model as a TF Serving SavedModel.

    python tools/export_savedmodel.py --model runs/byola --output serving/byola [--version 3]

writes `serving/byola/<version>/` with signatures `serving_default`
(waveform [batch, samples] float32 16 kHz -> embedding [batch, d]) and `frames`
(-> frames [batch, T', d]). Serve with
`tensorflow_model_server --model_name=byola --model_base_path=$PWD/serving/byola --rest_api_port=8501`.
"""

import argparse
import sys

from keras_audio_ssl.cli_errors import one_line_errors
from keras_audio_ssl.cli_errors import positive_int


@one_line_errors
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="run directory from recipes.byola.fit() or a .keras embedding model")
    parser.add_argument("--output", required=True, help="model base path; the version folder is created inside")
    parser.add_argument("--version", type=positive_int, default=None, help="version number (default: next free)")
    parser.add_argument("--no-frames", action="store_true", help="skip the frame-level `frames` signature")
    args = parser.parse_args(argv)
    from keras_audio_ssl.console import import_tensorflow_quietly

    import_tensorflow_quietly()  # before anything loads TensorFlow: no C++ start-up screen

    from keras_audio_ssl.export import export_savedmodel

    path = export_savedmodel(args.model, args.output, version=args.version, frames=not args.no_frames)
    print(f"SavedModel written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
