"""Presets: JSON files holding only what differs from a method's paper defaults.

A preset is a flat JSON object of settings (`recipes.schema.defaults(method)`: the
shared `TrainingSettings` and the method class's hyperparameters).
Keys starting with `_` or named `description` are documentation and ignored;
`method` names the recipe the preset is for (`python -m keras_audio_ssl.recipes`
picks the recipe from it; `resolve_config` checks it).
`resolve_config` merges, in order: the recipe's defaults (its keyword defaults),
the preset, explicit overrides — and rejects unknown keys, naming them.
"""

import json
import os

from keras_audio_ssl.recipes import schema

_DOC_KEYS = ("description",)


def recipe_defaults(method):
    """Every setting of `method` (a registered name or its `fit`) with its paper default."""
    return schema.defaults(method)


def load_preset(path):
    """Reads a preset file; `path` may omit the `.json` extension.

    Returns:
        dict of the preset's settings (documentation keys removed).
    """
    candidates = [path] if path.endswith(".json") else [path, path + ".json"]
    for candidate in candidates:
        if os.path.isfile(candidate):
            with open(candidate) as f:
                try:
                    preset = json.load(f)
                except json.JSONDecodeError as e:
                    raise ValueError(f"Preset {candidate} is not valid JSON: {e}. Received: path={path!r}") from e
            if not isinstance(preset, dict):
                raise ValueError(f"Preset {candidate} must hold a JSON object. Received: path={path!r}")
            return {k: v for k, v in preset.items() if not k.startswith("_") and k not in _DOC_KEYS}
    raise ValueError(f"Preset file not found (tried {candidates}). Received: path={path!r}")


def resolve_config(method, preset=None, overrides=None):
    """Merges defaults <- preset <- overrides into the full settings of `method` (a name or its `fit`)."""
    defaults = recipe_defaults(method)
    config = dict(defaults)
    preset = dict(preset or {})
    method = schema.method_name(method)
    if str(preset.get("method", method)).rpartition(":")[2] != method:
        raise ValueError(
            f"The preset is for method {preset['method']!r}, not {method!r}; run it with that recipe. "
            f"Received: method={preset['method']!r}"
        )
    preset.pop("method", None)
    for source_name, source in (("preset", preset), ("overrides", overrides or {})):
        unknown = sorted(set(source) - set(defaults))
        if unknown:
            raise ValueError(
                f"Unknown setting(s) {unknown} in {source_name}; "
                f"method {method!r} accepts {sorted(defaults)}. Received: {source_name}={source}"
            )
        config.update(source)
    return config
