"""Converts a folder or CSV manifest of audio into 16 kHz int16 TFRecord shards.

    python tools/prepare_audio.py --input corpus/ --output shards/ --workers 8
    python tools/prepare_audio.py --input train.csv --output shards/ --skip-bad-files

The input is streamed and planned on disk, so a 2-million-row manifest (AudioSet)
converts in about the memory of a small one. Every file's header is checked first
(a broken file stops the job before any shard is written, unless --skip-bad-files);
files are then dealt into shards in a seeded random order (--seed; --no-shuffle keeps
the input order), so a corpus listed class by class does not give one-class shards,
and each shard's files are shuffled. Shards are written in parallel, each under a
temporary name renamed into place when complete. A job killed at any moment resumes
where it stopped when the same command is run again; run after it completed, the
command writes nothing. `<output>/index.json` lists the shards, their example and
sample counts and the skipped and clipped files. Train with
`make_pretraining_dataset("<output>/*.tfrecord")`.
"""

import argparse
import logging
import os
import sys


def main(argv=None):
    # Imported here, not at the top: the worker pool spawns processes that re-import this file as
    # their main module before they arm their death with the parent, and the package imports
    # TensorFlow (seconds) -- a parent killed meanwhile would leave them running.
    from keras_audio_ssl.cli_errors import one_line_errors

    return one_line_errors(_main)(argv)


def _main(argv=None):
    from keras_audio_ssl.cli_errors import positive_int

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--input", required=True, help="folder (scanned recursively) or CSV manifest (column `path`)")
    parser.add_argument("--output", required=True, help="output folder for the shards and index.json")
    parser.add_argument("--shard-size", type=positive_int, default=None, help="files per shard (default 512)")
    parser.add_argument("--num-shards", type=positive_int, default=None, help="number of shards (instead of --shard-size)")
    parser.add_argument("--workers", type=positive_int, default=max(1, (os.cpu_count() or 1) - 1), help="parallel processes")
    parser.add_argument("--sample-rate", type=positive_int, default=16000)
    parser.add_argument("--extensions", default=None, help="comma-separated extensions for folder input (default: all audio)")
    parser.add_argument("--split", default=None, help="manifest only: keep rows whose `split` equals this")
    parser.add_argument("--skip-bad-files", action="store_true", help="skip unreadable files instead of failing")
    parser.add_argument("--prefix", default="audio", help="shard file name prefix")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the order files are dealt into shards (examples shuffled across shards)")
    parser.add_argument("--no-shuffle", action="store_true",
                        help="keep the input order: contiguous chunks of the file list per shard")
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument(
        "--out-of-range", choices=("error", "rescale"), default="error",
        help="float files peaking above 8.0 (e.g. int16-scaled floats): refuse them (default) or divide by the peak",
    )
    args = parser.parse_args(argv)
    from keras_audio_ssl.console import import_tensorflow_quietly

    import_tensorflow_quietly()  # before anything loads TensorFlow: no C++ start-up screen
    if os.path.exists(args.output) and not os.path.isdir(args.output):
        parser.error(f"--output must be a folder (the shards go inside); {args.output!r} is a file")
    if not (os.path.isdir(args.input) or args.input.lower().endswith(".csv")):
        parser.error(f"--input must be a folder or a .csv manifest: {args.input!r}")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")

    from keras_audio_ssl.data import AudioRows
    from keras_audio_ssl.data import write_tfrecord_shards

    try:
        if os.path.isdir(args.input):
            rows = AudioRows(args.input, extensions=args.extensions.split(",") if args.extensions else None)
        else:
            rows = AudioRows(args.input, split=args.split, on_missing="skip" if args.skip_bad_files else "raise")
        if next(iter(rows), None) is None:
            parser.error(f"no audio files found in {args.input!r}")
        index = write_tfrecord_shards(
            rows,
            args.output,
            num_shards=args.num_shards,
            examples_per_shard=args.shard_size if args.num_shards is None else None,
            num_workers=args.workers,
            sample_rate=args.sample_rate,
            skip_bad_files=args.skip_bad_files,
            prefix=args.prefix,
            progress=not args.no_progress,
            out_of_range=args.out_of_range,
            shuffle_seed=None if args.no_shuffle else args.seed,
        )
    except (ValueError, FileNotFoundError) as error:  # bad files or arguments: one line naming them, exit 2
        print(f"prepare_audio: error: {error}", file=sys.stderr)
        return 2
    hours = index["num_samples"] / index["sample_rate"] / 3600
    print(
        f"{index['num_examples']} examples ({hours:.2f} h) in {len(index['shards'])} shards -> {args.output}"
        f" ({len(index['skipped'])} skipped, {len(index.get('clipped', []))} clipped)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
