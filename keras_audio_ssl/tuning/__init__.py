"""Hyperparameter search over pretraining settings, scored on downstream tasks (Keras Tuner).

- `search(method, data, tasks, output_dir, space=..., fixed=..., oracle="random")`: the whole search;
  `python -m keras_audio_ssl.tuning` is its command line.
- `PretrainingHyperModel`: a recipe's `fit()` with settings drawn from a space.
- `DownstreamTuner`: trials = short pretraining runs scored by linear probes; resumable.
- `make_oracle("random" | "bayesian" | "hyperband", ...)`.
- Spaces as data: `DEFAULT_SPACES`, `default_space`, `load_space`, `check_space`, `fit_settings`.

The names load on first use (Keras Tuner imports TensorFlow), so the command
line can hide TensorFlow's start-up logs first (`console`).
"""

import importlib

_NAMES = {
    "PretrainingHyperModel": "hypermodel",
    "ORACLES": "run",
    "make_oracle": "run",
    "search": "run",
    "DEFAULT_SPACES": "space",
    "accepted_names": "space",
    "check_space": "space",
    "default_space": "space",
    "fit_settings": "space",
    "load_search_file": "space",
    "load_space": "space",
    "DEFAULT_PROBE": "tuner",
    "DownstreamTuner": "tuner",
    "TimeBudget": "tuner",
}

__all__ = list(_NAMES)


def __getattr__(name):
    if name in _NAMES:
        return getattr(importlib.import_module(f"{__name__}.{_NAMES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
