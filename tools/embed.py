"""Embeds audio files with a trained model: a run directory, a `.keras` file or a `.tflite` file.

    python tools/embed.py --model runs/byola --audio dog.wav cat.flac [--output embeddings.npy]

Each file is decoded, mixed to mono and resampled to 16 kHz (`load_audio`), checked
and embedded with `keras_audio_ssl.export.embed` (long files window by window; a
`.tflite` model takes clips up to its exported length). Prints one line per file
(its duration, the embedding's size and norm) and, with --output, saves the
`[files, d]` float32 array.
"""

import argparse
import io
import os
import sys

from keras_audio_ssl.cli_errors import one_line_errors


@one_line_errors
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="run directory, .keras embedding model or .tflite file")
    parser.add_argument("--audio", required=True, nargs="+", help="audio files (any format libsndfile reads)")
    parser.add_argument("--output", default=None, help="write the embeddings here as a .npy array [files, d]")
    args = parser.parse_args(argv)
    from keras_audio_ssl.console import import_tensorflow_quietly

    import_tensorflow_quietly()  # before anything loads TensorFlow: no C++ start-up screen

    import numpy as np

    from keras_audio_ssl.audio import load_audio
    from keras_audio_ssl.export import embed

    from keras_audio_ssl.atomic_write import write_bytes

    output = args.output
    if output is not None:
        if not output.endswith(".npy"):
            output += ".npy"  # what np.save would write: the message names the real file
        if os.path.isdir(output):
            raise ValueError(f"--output must be a .npy file path, not a folder. Received: output={args.output}")
    embeddings = []
    for path in args.audio:
        waveform = load_audio(path)
        vector = embed(args.model, waveform)[0]
        embeddings.append(vector)
        print(f"{path}: {waveform.shape[0] / 16000:.2f} s -> embedding d={vector.shape[0]}, "
              f"L2 norm {np.linalg.norm(vector):.3f}")
    if output:
        os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
        buffer = io.BytesIO()
        np.save(buffer, np.stack(embeddings).astype(np.float32))
        write_bytes(output, buffer.getvalue())
        print(f"Embeddings [{len(embeddings)}, {embeddings[0].shape[0]}] written to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
