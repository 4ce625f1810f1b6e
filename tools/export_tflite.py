"""Exports a trained BYOL-A embedding model as a TFLite file.

    python tools/export_tflite.py --model runs/byola --output byola.tflite \
        --quantize none|float16|int8 [--seconds 1.0] [--representative audio_folder/]

Input: float32 `[1, seconds * 16000]` raw 16 kHz waveform; output: `[1, d]`.
int8 quantizes the encoder (calibrated on --representative audio, synthetic
speech/music-like clips when not given) and keeps the log-mel front end float.
"""

import argparse
import os
import sys

from keras_audio_ssl.cli_errors import one_line_errors
from keras_audio_ssl.cli_errors import positive_float


@one_line_errors
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="run directory from recipes.byola.fit() or a .keras embedding model")
    parser.add_argument("--output", required=True, help="the .tflite file to write")
    parser.add_argument("--quantize", choices=("none", "float16", "int8"), default="none")
    parser.add_argument("--seconds", type=positive_float, default=1.0, help="fixed input length in seconds (default 1.0)")
    parser.add_argument("--representative", default=None, help="folder of audio files for int8 calibration")
    args = parser.parse_args(argv)
    from keras_audio_ssl.console import import_tensorflow_quietly

    import_tensorflow_quietly()  # before anything loads TensorFlow: no C++ start-up screen

    from keras_audio_ssl.export import export_tflite

    if args.representative is None and args.quantize == "int8":
        print("note: no --representative folder; calibrating int8 on synthetic speech/music-like clips", file=sys.stderr)
    path = export_tflite(
        args.model, args.output, quantize=args.quantize, clip_seconds=args.seconds,
        representative_data=args.representative,
    )
    print(f"TFLite model written to {path} ({os.path.getsize(path) / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
