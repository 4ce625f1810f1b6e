"""One command line for every recipe and preset.

    python -m keras_audio_ssl.recipes.<method> --config recipes/<preset>.json --data <audio> [--flag value ...]
    python -m keras_audio_ssl.recipes --config recipes/<preset>.json --data <audio>   # method from the preset

    python -m keras_audio_ssl.recipes --method my_package.simsiam:simsiam --data <audio>  # a method registered
                                                                                    # by my_package.simsiam

Settings resolve in order: the paper defaults (`recipes.schema.defaults`: the
shared `TrainingSettings`, the method class's hyperparameters, the paper's
overrides) <- the preset file <- explicit flags. Every setting is a flag
(`feature_d` -> `--feature-d`), typed by its default.
"""

import argparse
import json
import os
import sys

from keras_audio_ssl.cli_errors import one_line_errors
from keras_audio_ssl.recipes.presets import load_preset
from keras_audio_ssl.recipes.presets import recipe_defaults
from keras_audio_ssl.recipes.presets import resolve_config


def parse_value(text, default):
    """Parses a command-line value using the type of the default."""
    if isinstance(default, bool):
        if text.lower() in ("1", "true", "yes", "on"):
            return True
        if text.lower() in ("0", "false", "no", "off"):
            return False
        raise argparse.ArgumentTypeError(f"expected true/false, got {text!r}")
    if isinstance(default, int):
        return int(text)
    if isinstance(default, float):
        return float(text)
    if isinstance(default, (list, tuple)) and "," in text and not text.lstrip().startswith("["):
        return [_json_or_text(item.strip()) for item in text.split(",")]  # 0.65,0.85 without shell quoting
    if default is None or isinstance(default, (str, list, tuple)):
        return _json_or_text(text)  # numbers, lists and null for None-default settings (e.g. steps_per_epoch)
    return text


def _json_or_text(text):
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def parse_args(fit_fn, argv=None, prog=None):
    """Parses the command line of one recipe into `(data, output_dir, config)`."""
    defaults = recipe_defaults(fit_fn)
    method = fit_fn.method
    parser = argparse.ArgumentParser(
        prog=prog or f"python -m keras_audio_ssl.recipes.{method}",
        description=f"Pretrain {method}. Settings: paper defaults <- --config preset <- explicit flags.",
    )
    parser.add_argument("--config", help="a preset JSON file, e.g. recipes/byola_audioset_d512.json")
    parser.add_argument("--data", required=True, help="audio folder, CSV manifest or TFRecord glob")
    parser.add_argument("--output-dir", default=None, help="run directory (default runs/<preset name>)")
    parser.add_argument("--monitor", default=None,
                        help="a labelled CSV manifest (path,label,split or fold): log kNN and quick linear-probe accuracy "
                             "on it while pretraining (recipes.callbacks.LearningSignal; history.csv, TensorBoard)")
    parser.add_argument("--monitor-every", type=int, default=1, help="with --monitor: every this many epochs")
    for name, default in defaults.items():
        if name == "output_dir":
            continue
        parser.add_argument(
            "--" + name.replace("_", "-"),
            dest=name,
            default=argparse.SUPPRESS,
            type=lambda text, d=default: parse_value(text, d),
            help=f"default {default!r}",
        )
    args = vars(parser.parse_args(argv))
    data = args.pop("data")
    preset_path = args.pop("config")
    output_dir = args.pop("output_dir")
    monitor, monitor_every = args.pop("monitor"), args.pop("monitor_every")
    preset = load_preset(preset_path) if preset_path else {}
    try:
        config = resolve_config(fit_fn, preset, args)
    except ValueError as e:
        parser.error(str(e))
    config.pop("callbacks", None)
    config.pop("output_dir", None)
    if monitor:
        from keras_audio_ssl.recipes.callbacks import LearningSignal

        try:
            config["callbacks"] = [LearningSignal.from_manifest(monitor, every=monitor_every)]
        except (ValueError, FileNotFoundError) as e:
            parser.error(f"--monitor: {e}")
    if output_dir is None:
        name = os.path.splitext(os.path.basename(preset_path))[0] if preset_path else method
        output_dir = os.path.join("runs", name)
    return data, output_dir, config


@one_line_errors  # a full disk, a file where a folder belongs, ...: one line too
def main(fit_fn, argv=None, prog=None):
    """Runs one recipe from the command line; user mistakes print one line and exit 2."""
    from keras_audio_ssl.recipes.callbacks import TrainingDivergedError

    data, output_dir, config = parse_args(fit_fn, argv, prog)
    try:
        fit_fn(data, output_dir=output_dir, **config)
    except (TrainingDivergedError, ValueError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"Run directory: {output_dir}")
    return 0


@one_line_errors
def main_any(argv=None):
    """`python -m keras_audio_ssl.recipes`: the method comes from the preset's "method" key or --method."""
    argv = list(sys.argv[1:] if argv is None else argv)
    method = None
    if "--method" in argv:
        i = argv.index("--method")
        method = argv[i + 1] if i + 1 < len(argv) else None
        del argv[i : i + 2]
    elif "--config" in argv and argv.index("--config") + 1 < len(argv):
        method = load_preset(argv[argv.index("--config") + 1]).get("method")
    if method is None:
        print("error: name the method with --method, or use a preset that has a \"method\" key", file=sys.stderr)
        return 2
    from keras_audio_ssl.recipes.schema import fit_for

    try:
        fit = fit_for(method)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return main(fit, argv, prog="python -m keras_audio_ssl.recipes")
