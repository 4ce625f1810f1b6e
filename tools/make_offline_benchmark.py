"""Builds the offline audio benchmark from Debian-packaged audio.

    python tools/make_offline_benchmark.py --output DIR [--size tiny|small|full]
        [--workers N] [--seed S] [--tasks instrument,keywords,...] [--skip-missing]

Installs nothing: when a needed Debian package is missing it names it and prints
the apt-get line (packages: tools/offline_benchmark_apt_packages.txt). Existing
clips in DIR are reused, so an interrupted build resumes.
"""

import argparse
import os
import sys

from keras_audio_ssl_tools.offline_benchmark import TASKS
from keras_audio_ssl_tools.offline_benchmark import MissingPackagesError
from keras_audio_ssl_tools.offline_benchmark import build_offline_benchmark


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", required=True)
    parser.add_argument("--size", choices=["tiny", "small", "full"], default="full")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tasks", default=",".join(TASKS), help=f"comma-separated subset of {','.join(TASKS)}")
    parser.add_argument("--skip-missing", action="store_true",
                        help="build only the tasks whose Debian packages are installed")
    args = parser.parse_args(argv)
    try:
        build_offline_benchmark(args.output, size=args.size, workers=args.workers, seed=args.seed,
                                tasks=[t for t in args.tasks.split(",") if t], skip_missing=args.skip_missing)
    except MissingPackagesError as e:
        print(e, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
