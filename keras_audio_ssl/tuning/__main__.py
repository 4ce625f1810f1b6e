"""`python -m keras_audio_ssl.tuning`: search a method's pretraining settings, scored on downstream tasks.

    python -m keras_audio_ssl.tuning --method byola --space recipes/tuning_byola_cpu.json \\
        --data POOL(folder or CSV) --tasks BENCH/instrument.csv BENCH/keywords.csv --output-dir runs/tune \\
        [--oracle random|bayesian|hyperband --max-trials N --epochs E --minutes M --executions K] \\
        [--set feature_d=64 batch_size=16 ...] [--probe-runs 3 --probe-epochs 200 --max-seconds S]

`--space` is a space file (name -> spec, see `keras_audio_ssl.tuning.space`) or a
tuning preset (`{"method", "space", "fixed", "oracle", "max_trials", "epochs", ...}`,
e.g. recipes/tuning_byola_cpu.json); without it the method's default space is
searched. Settings resolve: the preset <- explicit flags; `--set` adds to (and
overrides) the preset's fixed `fit()` settings, each typed like the recipe's
command-line flags. Rerunning the same command resumes the search (a larger
`--max-trials` adds trials); `--overwrite` starts over.

One line per trial (id, status, score, seconds, hyperparameters); the output
folder holds trials.csv, trials.md and best_preset.json, which the recipe runs
unchanged: `python -m keras_audio_ssl.recipes --config OUT/best_preset.json --data ...`.
Exit codes: 0 done, 1 the search stopped after too many failed trials in a row,
2 bad input.
"""

import argparse
import sys

from keras_audio_ssl.cli_errors import one_line_errors
from keras_audio_ssl.cli_errors import positive_float
from keras_audio_ssl.cli_errors import positive_int

#: Keys of a tuning preset (besides "method", "space", "description" and `_` comments).
PRESET_KEYS = ("fixed", "oracle", "max_trials", "epochs", "minutes", "executions", "seed", "factor",
               "hyperband_iterations", "max_consecutive_failed_trials", "probe")


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m keras_audio_ssl.tuning",
        description="Keras Tuner search over a method's pretraining settings; each trial is scored by the mean "
                    "linear-probe score on downstream tasks.",
    )
    parser.add_argument("--method", default=None,
                        help="the method to tune: a registered one (keras_audio_ssl.methods.names()) or module:name of a "
                             "module that registers it (default: the tuning preset's \"method\")")
    parser.add_argument("--space", default=None,
                        help="a space JSON (name -> spec) or a tuning preset (default: the method's default space)")
    parser.add_argument("--data", required=True, help="pretraining pool: audio folder, CSV manifest or TFRecord glob")
    parser.add_argument("--tasks", nargs="+", required=True,
                        help="benchmark folder(s) and/or task manifest CSVs (path,label,split[,fold])")
    parser.add_argument("--output-dir", default=None, help="the search folder (default: runs/tuning_<method>)")
    parser.add_argument("--oracle", choices=("random", "bayesian", "hyperband"), default=None,
                        help="search algorithm (default: random)")
    parser.add_argument("--max-trials", type=positive_int, default=None, help="trials (default 10; Hyperband: a cap)")
    parser.add_argument("--epochs", type=positive_int, default=None,
                        help="pretraining epochs of a trial (default 5); Hyperband: its max_epochs")
    parser.add_argument("--minutes", type=positive_float, default=None, help="pretraining time budget of a trial")
    parser.add_argument("--executions", type=positive_int, default=None, help="pretraining runs per trial (default 1)")
    parser.add_argument("--set", nargs="+", action="extend", default=[], metavar="KEY=VALUE",
                        help="fixed fit() settings of every trial, e.g. feature_d=64 batch_size=16")
    parser.add_argument("--seed", type=int, default=None, help="the oracle's seed, positive (default 1)")
    parser.add_argument("--factor", type=positive_int, default=None, help="Hyperband's reduction factor (default 3)")
    parser.add_argument("--hyperband-iterations", type=positive_int, default=None, help="Hyperband's sweeps (default 1)")
    parser.add_argument("--max-failures", type=positive_int, default=None, dest="max_consecutive_failed_trials",
                        help="stop after this many failed trials in a row (default 3)")
    parser.add_argument("--probe-runs", type=positive_int, default=None, help="linear-probe seeds per task (default 3)")
    parser.add_argument("--probe-epochs", type=positive_int, default=None, help="probe epochs, early stopped (default 200)")
    parser.add_argument("--max-seconds", type=positive_float, default=None, help="centre-crop longer task clips")
    parser.add_argument("--overwrite", action="store_true", help="delete an existing search in --output-dir first")
    parser.add_argument("--fit-verbose", type=int, choices=(0, 1, 2), default=0, help="verbose of each fit()")
    parser.add_argument("--quiet", action="store_true", help="no line per trial")
    return parser


def _fixed_from_flags(pairs, fit_fn):
    from keras_audio_ssl.recipes.cli import parse_value
    from keras_audio_ssl.tuning.space import fit_defaults

    defaults = fit_defaults(fit_fn)
    fixed = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key:
            raise ValueError(f"--set takes KEY=VALUE pairs. Received: {pair!r}")
        try:
            fixed[key] = parse_value(text, defaults.get(key))
        except (argparse.ArgumentTypeError, ValueError) as e:
            raise ValueError(f"--set {key}: {e}. Received: {pair!r}") from e
    return fixed


def _check_preset_types(preset, path):
    """A tuning preset's values have the types `search()` takes, named when they do not."""
    for key in ("fixed", "probe"):
        if not isinstance(preset.get(key) or {}, dict):
            raise ValueError(f"{key!r} in {path} must be a JSON object. Received: {key}={preset[key]!r}")
    for key in ("max_trials", "epochs", "executions", "factor", "hyperband_iterations", "max_consecutive_failed_trials",
                "seed"):
        value = preset.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise ValueError(f"{key!r} in {path} must be a positive integer. Received: {key}={value!r}")
    minutes = preset.get("minutes")
    if minutes is not None and (isinstance(minutes, bool) or not isinstance(minutes, (int, float)) or
                                not 0 < minutes < float("inf")):
        raise ValueError(f"'minutes' in {path} must be a positive number. Received: minutes={minutes!r}")


def resolve(args):
    """The keyword arguments of `tuning.search()` from the parsed command line."""
    from keras_audio_ssl.tuning.space import load_search_file
    from keras_audio_ssl.tuning.space import recipe_fit

    preset = load_search_file(args.space) if args.space else {}
    unknown = sorted(set(preset) - {"method", "space", *PRESET_KEYS})
    if unknown:
        raise ValueError(f"Unknown key(s) {unknown} in {args.space}; a tuning preset holds method, space and "
                         f"{list(PRESET_KEYS)}. Received: {args.space}")
    method = args.method or preset.get("method")
    if method is None:
        raise ValueError("name the method with --method, or use a tuning preset that has a \"method\" key")
    if preset.get("method", method) != method:
        raise ValueError(f"{args.space} is a preset for {preset['method']!r}, not {method!r}. "
                         f"Received: method={method!r}")
    _check_preset_types(preset, args.space)
    fixed = dict(preset.get("fixed") or {})
    fixed.update(_fixed_from_flags(args.set, recipe_fit(method)))
    probe = dict(preset.get("probe") or {})
    for key, value in (("runs", args.probe_runs), ("epochs", args.probe_epochs), ("max_seconds", args.max_seconds)):
        if value is not None:
            probe[key] = value
    kwargs = dict(space=preset.get("space"), fixed=fixed, probe=probe)
    defaults = dict(oracle="random", max_trials=10, epochs=None, minutes=None, executions=1, seed=1, factor=3,
                    hyperband_iterations=1, max_consecutive_failed_trials=3)
    for key, default in defaults.items():
        flag = getattr(args, key, None)
        kwargs[key] = flag if flag is not None else preset.get(key, default)
    output_dir = args.output_dir or f"runs/tuning_{method}"
    return method, output_dir, kwargs


@one_line_errors
def main(argv=None):
    args = build_parser().parse_args(argv)
    from keras_audio_ssl.console import import_tensorflow_quietly

    import_tensorflow_quietly()
    import tensorflow as tf

    from keras_audio_ssl.evaluation.results import to_markdown
    from keras_audio_ssl.tuning.run import search

    tf.get_logger().setLevel("ERROR")  # every probe compiles a few small functions
    try:
        method, output_dir, kwargs = resolve(args)
        tuner = search(method, args.data, args.tasks, output_dir, overwrite=args.overwrite,
                       fit_verbose=args.fit_verbose, verbose=0 if args.quiet else 1, **kwargs)
    except (ValueError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except RuntimeError as error:  # Keras Tuner: too many failed trials in a row
        print(f"error: the search stopped: {' '.join(str(error).split())[:2000]}", file=sys.stderr)
        return 1
    table = tuner.trials_table()
    shown = table.drop(columns=[c for c in table.columns if c.startswith("score:")])
    print("\n" + to_markdown(shown, float_format="{:.4g}"))
    print(f"\nwrote {tuner.project_dir}/trials.csv, trials.md"
          + (", best_preset.json" if tuner.best_trial() is not None else " (no trial completed)"))
    if tuner.best_trial() is None:  # every trial failed: the search produced nothing to use
        print(f"error: no trial completed; each trial's error.txt in {tuner.project_dir} says why", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
