"""The HEAR 2021 API (https://hearbenchmark.com) over any model the garden makes.

    hear-validator keras_audio_ssl.hear -m runs/byola
    python -m keras_audio_ssl.hear --model runs/byola   # the same checks, without torch

`load_model(path)` takes a run directory, an embedding `.keras` file or a preset.
"""

from keras_audio_ssl.hear.embeddings import get_scene_embeddings
from keras_audio_ssl.hear.embeddings import get_timestamp_embeddings
from keras_audio_ssl.hear.model import DEFAULT_HOP_MS
from keras_audio_ssl.hear.model import HearModel
from keras_audio_ssl.hear.model import load_model

__all__ = ["DEFAULT_HOP_MS", "HearModel", "get_scene_embeddings", "get_timestamp_embeddings", "load_model"]
