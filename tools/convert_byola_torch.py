"""Converts an official BYOL-A PyTorch checkpoint into a Keras encoder.

    python tools/convert_byola_torch.py --checkpoint AudioNTT2020-BYOLA-64x96d2048.pth \
        --output byola_d2048.keras

Needs torch (`pip install torch`, or the `keras-audio-ssl[torch]` extra). The
feature size d, n_mels and the version (v1 AudioNTT2020 / v2 AudioNTT2022) are
inferred from the checkpoint. The result is the encoder (log-mel in); wrap it
with `build_embedding_model(encoder, mean=..., std=...)` using the
normalization statistics of the data you embed.
"""

import argparse
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", required=True, help="official BYOL-A .pth state dict")
    parser.add_argument("--output", required=True, help="encoder .keras file to write")
    args = parser.parse_args(argv)
    from keras_audio_ssl.console import import_tensorflow_quietly

    import_tensorflow_quietly()  # before anything loads TensorFlow: no C++ start-up screen

    from keras_audio_ssl.export import convert_byola_torch

    try:
        encoder = convert_byola_torch(args.checkpoint, args.output)
    except (ValueError, ImportError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"{type(encoder).__name__}(feature_d={encoder.feature_d}, n_mels={encoder.n_mels}) written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
