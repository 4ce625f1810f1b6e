"""Converts an official BYOL-A PyTorch checkpoint into a Keras encoder, or a preset.

    python tools/convert_byola_torch.py --checkpoint AudioNTT2020-BYOLA-64x96d2048.pth \
        --output byola_d2048.keras
    python tools/convert_byola_torch.py --checkpoint AudioNTT2020-BYOLA-64x96d2048.pth \
        --preset-dir presets/byola_d2048 --mean -8.0 --std 4.5

Needs torch (`pip install torch`, or the `keras-audio-ssl[torch]` extra). The
feature size d, n_mels and the version (v1 AudioNTT2020 / v2 AudioNTT2022) are
inferred from the checkpoint. `--output` writes the encoder (log-mel in); wrap it
with `build_embedding_model(encoder, mean=..., std=...)` using the
normalization statistics of the data you embed. `--preset-dir` writes the whole
waveform -> embedding model as a preset (`keras_audio_ssl.encoders.from_preset(dir)`),
with the log-mel front end and the pre-normalization statistics `--mean` / `--std`
(the checkpoints carry none: give those of the data you embed).
"""

import argparse
import sys

from keras_audio_ssl.cli_errors import one_line_errors


@one_line_errors
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", required=True, help="official BYOL-A .pth state dict")
    parser.add_argument("--output", help="encoder .keras file to write")
    parser.add_argument("--preset-dir", help="preset directory to write (waveform -> embedding model)")
    parser.add_argument("--mean", type=float, help="pre-normalization mean of the log-mel (with --preset-dir)")
    parser.add_argument("--std", type=float, help="pre-normalization std of the log-mel (with --preset-dir)")
    args = parser.parse_args(argv)
    if not (args.output or args.preset_dir):
        parser.error("give --output (an encoder .keras file), --preset-dir, or both")
    if args.preset_dir and (args.mean is None or args.std is None):
        parser.error(f"--preset-dir needs --mean and --std. Received: mean={args.mean}, std={args.std}")
    import keras_audio_ssl  # noqa: F401 (imports TensorFlow without its C++ start-up screen)
    from keras_audio_ssl.encoders import build_embedding_model
    from keras_audio_ssl.encoders import save_to_preset
    from keras_audio_ssl.export import convert_byola_torch

    try:
        encoder = convert_byola_torch(args.checkpoint, args.output)
        written = [args.output] if args.output else []
        if args.preset_dir:
            model = build_embedding_model(encoder, mean=args.mean, std=args.std)
            save_to_preset(model, args.preset_dir, description=f"official BYOL-A weights from {args.checkpoint}")
            written.append(args.preset_dir)
    except ImportError as error:  # no torch: the message says what to install
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"{type(encoder).__name__}(feature_d={encoder.feature_d}, n_mels={encoder.n_mels}) written to "
          + " and ".join(written))
    return 0


if __name__ == "__main__":
    sys.exit(main())
