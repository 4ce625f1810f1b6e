"""Takes a waveform -> embedding model apart for export.

The embedding model built by `keras_audio_ssl.encoders.build_embedding_model` is a
functional graph `waveform -> LogMelSpectrogram -> PreNormalization -> encoder`.
Export needs three things from it: the model itself (loaded from a run dir or a
`.keras` file when given a path), the frame-level variant of its encoder (for the
SavedModel's `frames` signature), and the shortest waveform the graph can take; the
last two live in `encoders.embedding_model_parts`, shared with evaluation.
"""

import os

import keras

# Re-exported: export's callers name them from here.
from keras_audio_ssl.encoders.embedding_model_parts import build_frames_model  # noqa: F401
from keras_audio_ssl.encoders.embedding_model_parts import find_encoder  # noqa: F401
from keras_audio_ssl.encoders.embedding_model_parts import find_front_end  # noqa: F401
from keras_audio_ssl.encoders.embedding_model_parts import min_samples  # noqa: F401
from keras_audio_ssl.encoders.embedding_model_parts import time_downsampling  # noqa: F401


def load_model_for_export(model_or_path):
    """Returns a waveform -> embedding `keras.Model`.

    Args:
        model_or_path: a `keras.Model`, a run directory written by
            `recipes.byola.fit()`, or a `.keras` file of the embedding model.
    """
    if isinstance(model_or_path, keras.Model):
        return model_or_path
    path = os.fspath(model_or_path)
    if not os.path.exists(path):
        raise ValueError(
            "Expected a keras.Model, a run directory or a .keras file; "
            f"the path does not exist. Received: model={path}"
        )
    from keras_audio_ssl.encoders import load_embedding_model

    return load_embedding_model(path)
