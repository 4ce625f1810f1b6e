"""The HEAR 2021 API (https://hearbenchmark.com) over any model the garden makes.

    hear-validator keras_audio_ssl.hear -m runs/byola
    python -m keras_audio_ssl.hear --model runs/byola   # the same checks, without torch

`load_model(path)` takes a run directory or an embedding `.keras` file.
"""

import importlib

# Loaded on first use, so `python -m keras_audio_ssl.hear` can hide TensorFlow's
# start-up logs before anything imports it.
_EXPORTS = {
    "DEFAULT_HOP_MS": "keras_audio_ssl.hear.model",
    "HearModel": "keras_audio_ssl.hear.model",
    "load_model": "keras_audio_ssl.hear.model",
    "get_scene_embeddings": "keras_audio_ssl.hear.embeddings",
    "get_timestamp_embeddings": "keras_audio_ssl.hear.embeddings",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)


def __dir__():
    return __all__
