"""Writes a stand-in for "your own data": a folder of unlabeled audio and a labelled manifest.

    python tools/make_example_data.py --output my_data [--unlabeled 512] [--per-class 30]

makes `my_data/unlabeled/*.wav` (varied synthetic sounds, 1 s, 16 kHz) and
`my_data/labeled/*.wav` with `my_data/labels.csv` (`path,label,split`: six sound
classes, train and test clips drawn from disjoint pitch bands; see
`keras_audio_ssl.synthetic`). Replace them with your recordings and a CSV of the
same columns to run the README's "Your own data" commands on real audio.
"""

import argparse
import os
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", required=True, help="folder to create (must not hold a labels.csv yet)")
    parser.add_argument("--unlabeled", type=int, default=512, help="unlabeled clips (default 512)")
    parser.add_argument("--per-class", type=int, default=30, help="labelled clips per class and split (default 30)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    for name in ("unlabeled", "per_class"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be a positive integer")
    manifest = os.path.join(args.output, "labels.csv")
    if os.path.exists(manifest):
        parser.error(f"{manifest} exists already; pick another --output")

    import csv

    from keras_audio_ssl import synthetic

    unlabeled = synthetic.make_unlabeled_corpus(args.unlabeled, seconds=1.0, seed=args.seed)
    synthetic.write_wav_folder(os.path.join(args.output, "unlabeled"), unlabeled)
    task = synthetic.make_labeled_task(args.per_class, args.per_class, seconds=1.0, seed=args.seed + 1)
    rows = []
    for split in ("train", "test"):
        paths = synthetic.write_wav_folder(os.path.join(args.output, "labeled"), task[f"x_{split}"], prefix=split)
        rows += [(os.path.relpath(p, args.output), task["class_names"][y], split) for p, y in zip(paths, task[f"y_{split}"])]
    with open(manifest, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(("path", "label", "split"))
        writer.writerows(rows)
    print(f"{len(unlabeled)} unlabeled clips in {os.path.join(args.output, 'unlabeled')}/, "
          f"{len(rows)} labelled clips ({len(task['class_names'])} classes) listed in {manifest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
