"""Search spaces as data: a JSON object of hyperparameter specs, checked against a recipe's `fit()`.

A space maps each hyperparameter's name to a spec:

    {"learning_rate": {"type": "float", "min": 1e-4, "max": 1e-3, "sampling": "log"},
     "mixup_ratio":   {"type": "float", "min": 0.1, "max": 0.6},
     "memory_size":   {"type": "int", "min": 512, "max": 4096, "step": 512},
     "augmentation":  {"type": "choice", "values": ["none", "byola"]},
     "ema_decay":     {"type": "fixed", "value": 0.99}}

`type` is `"float"`, `"int"`, `"choice"` or `"fixed"`; `"float"` and `"int"` take
`min`, `max` and optionally `step`, `sampling` (`"linear"`, `"log"`, `"reverse_log"`:
dense near `max`) and `default`; `"choice"` takes `values` (numbers, strings or
booleans, one kind) and optionally `default`; `"fixed"` takes `value`. Keys
starting with `_` are comments.

A name is a setting of the method (`recipes.schema.defaults(method)`: the shared
training settings and the method class's hyperparameters). A setting whose default is a pair is tuned as two scalars,
`<name>_min` and `<name>_max` (e.g. `freq_scale_min`, `freq_scale_max` ->
`freq_scale=(min, max)`); `virtual_crop_scale` is a (frequency, time) pair, so its
scalars are `virtual_crop_scale_freq` and `virtual_crop_scale_time` (the virtual
crop width). The half left out of the space keeps its fixed or default value.
"""

import json
import os
import warnings

#: Settings a search never draws: where a trial's run goes and what it prints are the tuner's.
NOT_TUNABLE = ("output_dir", "callbacks", "verbose", "strategy")

#: The scalar names of each half of a pair setting (default: ("min", "max")).
PAIR_PARTS = {"virtual_crop_scale": ("freq", "time")}

_SPEC_KEYS = {
    "float": {"type", "min", "max", "step", "sampling", "default"},
    "int": {"type", "min", "max", "step", "sampling", "default"},
    "choice": {"type", "values", "default"},
    "fixed": {"type", "value"},
}
_SAMPLINGS = ("linear", "log", "reverse_log")

#: Default spaces per method, around the papers' settings (as data: `default_space` checks them).
DEFAULT_SPACES = {
    "byola": {
        # Paper: lr 3e-4, mixup ratio 0.4 (v2: 0.2), EMA 0.99, RRC virtual crop 1.0 x 1.5,
        # crop scale U(0.6, 1.5) on each axis.
        "learning_rate": {"type": "float", "min": 1e-4, "max": 1e-3, "sampling": "log", "default": 3e-4},
        "mixup_ratio": {"type": "float", "min": 0.1, "max": 0.6, "default": 0.4},
        "ema_decay": {"type": "float", "min": 0.9, "max": 0.999, "sampling": "reverse_log", "default": 0.99},
        "freq_scale_min": {"type": "float", "min": 0.4, "max": 1.0, "default": 0.6},
        "freq_scale_max": {"type": "float", "min": 1.0, "max": 1.8, "default": 1.5},
        "time_scale_min": {"type": "float", "min": 0.4, "max": 1.0, "default": 0.6},
        "time_scale_max": {"type": "float", "min": 1.0, "max": 1.8, "default": 1.5},
        "virtual_crop_scale_time": {"type": "float", "min": 1.0, "max": 2.0, "default": 1.5},
    },
    "cola": {
        # Paper: lr 1e-4, bilinear similarity (temperature only acts with "cosine").
        "learning_rate": {"type": "float", "min": 3e-5, "max": 1e-3, "sampling": "log", "default": 1e-4},
        "similarity": {"type": "choice", "values": ["bilinear", "cosine"], "default": "bilinear"},
        "temperature": {"type": "float", "min": 0.05, "max": 0.5, "sampling": "log", "default": 0.2},
        "augmentation": {"type": "choice", "values": ["none", "byola"], "default": "none"},
    },
    "simclr": {
        # Paper: NT-Xent tau 0.2, mix-back alpha 0.05, RRC + compression + noise; lr unstated (1e-4).
        "learning_rate": {"type": "float", "min": 3e-5, "max": 1e-3, "sampling": "log", "default": 1e-4},
        "temperature": {"type": "float", "min": 0.05, "max": 0.5, "sampling": "log", "default": 0.2},
        "mix_back_alpha": {"type": "float", "min": 0.0, "max": 0.3, "default": 0.05},
        "augmentation": {"type": "choice", "default": "rrc+compression+noise",
                         "values": ["rrc+compression+noise", "rrc+noise", "rrc+compression+noise+specaugment",
                                    "rrc", "none"]},
    },
    "multi_strategy": {
        # Paper: lr 1e-4, alpha = beta = 1, pitch factors [0.8, 1.2].
        "learning_rate": {"type": "float", "min": 3e-5, "max": 1e-3, "sampling": "log", "default": 1e-4},
        "frame_weight": {"type": "float", "min": 0.0, "max": 2.0, "default": 1.0},
        "pitch_weight": {"type": "float", "min": 0.0, "max": 2.0, "default": 1.0},
        "factor_range_min": {"type": "float", "min": 0.7, "max": 0.95, "default": 0.8},
        "factor_range_max": {"type": "float", "min": 1.05, "max": 1.3, "default": 1.2},
    },
}


def recipe_fit(method):
    """The `fit()` of a registered method (`methods.names()`)."""
    from keras_audio_ssl.recipes.schema import fit_for

    return fit_for(method)


def fit_defaults(fit_fn):
    """Every setting of `fit_fn`'s method with its paper default (`recipes.schema.defaults`)."""
    from keras_audio_ssl.recipes.schema import defaults

    return defaults(fit_fn)


def _is_pair(value):
    return isinstance(value, (tuple, list)) and len(value) == 2


def pair_parts(name):
    """The two scalar suffixes of pair setting `name`: `("min", "max")` or its own (`PAIR_PARTS`)."""
    return PAIR_PARTS.get(name, ("min", "max"))


def accepted_names(fit_fn):
    """The hyperparameter names `fit_fn` accepts: its keywords, and `<pair>_<part>` for pair settings."""
    names = []
    for name, default in fit_defaults(fit_fn).items():
        if name in NOT_TUNABLE:
            continue
        names.append(name)
        if _is_pair(default):
            names.extend(f"{name}_{part}" for part in pair_parts(name))
    return names


def resolve_name(name, fit_fn):
    """Maps a hyperparameter name to `(setting, index)`: `index` is None, or 0/1 for half of a pair.

    Raises:
        ValueError: `fit_fn` has no such setting (naming the accepted ones).
    """
    defaults = fit_defaults(fit_fn)
    if name in defaults and name not in NOT_TUNABLE:
        return name, None
    for setting, default in defaults.items():
        if _is_pair(default):
            for index, part in enumerate(pair_parts(setting)):
                if name == f"{setting}_{part}":
                    return setting, index
    method = fit_fn.method
    hint = ""
    if name in NOT_TUNABLE:
        hint = f" ({name!r} is set by the tuner)"
    raise ValueError(
        f"Unknown hyperparameter {name!r}{hint}: method {method!r} has no such setting. "
        f"{method} accepts {accepted_names(fit_fn)}. Received: {name}"
    )


def _check_number(name, key, value, integer=False):
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds):
        kind = "an integer" if integer else "a number"
        raise ValueError(f"Hyperparameter {name!r}: {key!r} must be {kind}. Received: {key}={value!r}")


def check_spec(name, spec):
    """Checks one hyperparameter spec (see the module docstring); returns it unchanged."""
    if not isinstance(spec, dict) or spec.get("type") not in _SPEC_KEYS:
        raise ValueError(
            f"Hyperparameter {name!r} needs a spec object with a type in {sorted(_SPEC_KEYS)}. Received: {spec!r}"
        )
    kind = spec["type"]
    unknown = sorted(set(spec) - _SPEC_KEYS[kind] - {k for k in spec if str(k).startswith("_")})
    if unknown:
        raise ValueError(
            f"Hyperparameter {name!r} ({kind}) accepts the keys {sorted(_SPEC_KEYS[kind])}, not {unknown}. "
            f"Received: {spec!r}"
        )
    if kind in ("float", "int"):
        for key in ("min", "max"):
            if key not in spec:
                raise ValueError(f"Hyperparameter {name!r} ({kind}) needs 'min' and 'max'. Received: {spec!r}")
            _check_number(name, key, spec[key], integer=kind == "int")
        if not spec["min"] < spec["max"]:
            raise ValueError(f"Hyperparameter {name!r}: min must be below max. Received: {spec!r}")
        sampling = spec.get("sampling", "linear")
        if sampling not in _SAMPLINGS:
            raise ValueError(f"Hyperparameter {name!r}: sampling must be one of {list(_SAMPLINGS)}. "
                             f"Received: sampling={sampling!r}")
        if sampling != "linear" and spec["min"] <= 0:
            raise ValueError(f"Hyperparameter {name!r}: {sampling} sampling needs min > 0. Received: {spec!r}")
        if "step" in spec:
            _check_number(name, "step", spec["step"], integer=kind == "int")
            if not spec["step"] > 0:
                raise ValueError(f"Hyperparameter {name!r}: step must be positive. Received: {spec!r}")
        if "default" in spec:
            _check_number(name, "default", spec["default"], integer=kind == "int")
            if not spec["min"] <= spec["default"] <= spec["max"]:
                raise ValueError(f"Hyperparameter {name!r}: default must lie in [min, max]. Received: {spec!r}")
    elif kind == "choice":
        values = spec.get("values")
        if not isinstance(values, list) or not values:
            raise ValueError(f"Hyperparameter {name!r} (choice) needs a non-empty list 'values'. Received: {spec!r}")
        kinds = {bool if isinstance(v, bool) else (float if isinstance(v, (int, float)) else type(v)) for v in values}
        if len(kinds) != 1 or not kinds <= {bool, float, str}:
            raise ValueError(
                f"Hyperparameter {name!r} (choice): values must all be numbers, all strings or all booleans. "
                f"Received: values={values!r}"
            )
        if "default" in spec and spec["default"] not in values:
            raise ValueError(f"Hyperparameter {name!r}: default must be one of the values. Received: {spec!r}")
    elif "value" not in spec:
        raise ValueError(f"Hyperparameter {name!r} (fixed) needs a 'value'. Received: {spec!r}")
    return spec


def check_space(space, fit_fn, fixed=None):
    """Checks a space against `fit_fn`'s signature; returns it without comment keys.

    Args:
        space: dict name -> spec.
        fit_fn: the recipe's `fit()`.
        fixed: fixed `fit()` settings of the search (a name may not be both).

    Raises:
        ValueError: an unknown name (naming it and the accepted ones), a bad spec, a
            setting given both whole and as halves, or a name also fixed.
    """
    if not isinstance(space, dict):
        raise ValueError(f"A search space is a JSON object of name -> spec. Received: {type(space).__name__}")
    space = {name: spec for name, spec in space.items() if not str(name).startswith("_")}
    if not space:
        raise ValueError(f"The search space names no hyperparameter. Received: space={space}")
    settings = {}
    for name, spec in space.items():
        setting, index = resolve_name(name, fit_fn)
        check_spec(name, spec)
        settings.setdefault(setting, []).append((name, index))
    for setting, names in settings.items():
        if len(names) > 1 and any(index is None for _, index in names):
            raise ValueError(
                f"{setting!r} is in the space both whole and as halves; keep one. "
                f"Received: {[name for name, _ in names]}"
            )
    clashes = sorted(set(fixed or {}) & (set(space) | set(settings)))
    if clashes:
        raise ValueError(f"Setting(s) {clashes} are both searched and fixed; keep one. Received: fixed={fixed}")
    return space


def default_space(method):
    """The default space of `method` (`DEFAULT_SPACES`), restricted to what its `fit()` accepts.

    A default hyperparameter its `fit()` does not take (yet) is left out with a
    warning naming it; a space passed explicitly is never trimmed.
    """
    fit_fn = recipe_fit(method)
    space, missing = {}, []
    for name, spec in DEFAULT_SPACES.get(method, {}).items():
        try:
            resolve_name(name, fit_fn)
        except ValueError:
            missing.append(name)
            continue
        space[name] = dict(spec)
    if missing:
        warnings.warn(
            f"method {method!r} does not accept {missing} yet: left out of its default search space.",
            stacklevel=2,
        )
    return check_space(space, fit_fn)


def load_space(path):
    """Reads a space file (or a tuning preset holding `"space"`); see `load_search_file`."""
    return load_search_file(path).get("space")


def load_search_file(path):
    """Reads a search JSON file: a bare space, or a tuning preset.

    A tuning preset is an object with a `"space"` (else the method's default space) or a `"method"`, and
    `"fixed"` (fixed `fit()` settings), `"description"` and search settings
    (`"oracle"`, `"max_trials"`, `"epochs"`, `"minutes"`, `"executions"`,
    `"probe"`, ...), e.g. `recipes/tuning_byola_cpu.json`.

    Returns:
        dict with `"space"` unless a preset leaves it out (comment keys removed).
    """
    if not os.path.isfile(path):
        raise ValueError(f"Search space file not found. Received: path={path!r}")
    with open(path) as f:
        try:
            content = json.load(f)
        except json.JSONDecodeError as e:
            raise ValueError(f"Search space file {path} is not valid JSON: {e}. Received: path={path!r}") from e
    if not isinstance(content, dict):
        raise ValueError(f"Search space file {path} must hold a JSON object. Received: path={path!r}")
    if "space" in content and not isinstance(content["space"], dict):
        raise ValueError(f"The \"space\" of tuning preset {path} must be a JSON object of name -> spec. "
                         f"Received: space={content['space']!r}")
    if isinstance(content.get("space"), dict) or "method" in content:  # a tuning preset (its space may be default)
        return {k: v for k, v in content.items() if not k.startswith("_") and k != "description"}
    return {"space": content}


def fit_settings(values, fit_fn, fixed=None):
    """`fit()` keyword arguments from drawn hyperparameter values and the fixed settings.

    A pair's halves fill the pair; the half not drawn keeps its fixed or default
    value. Keras Tuner's own entries (`tuner/...`) are ignored.

    Returns:
        dict of `fit()` settings (fixed settings, then the drawn values).
    """
    defaults = fit_defaults(fit_fn)
    settings = dict(fixed or {})
    halves = {}
    for name, value in values.items():
        if name.startswith("tuner/"):
            continue
        setting, index = resolve_name(name, fit_fn)
        if index is None:
            settings[setting] = value
        else:
            halves.setdefault(setting, {})[index] = value
    for setting, parts in halves.items():
        pair = list(settings.get(setting, defaults[setting]))
        for index, value in parts.items():
            pair[index] = value
        settings[setting] = tuple(pair)
    return settings
