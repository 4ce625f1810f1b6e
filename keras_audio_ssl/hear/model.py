"""`load_model`: the HEAR 2021 model object over a waveform -> embedding model.

The HEAR tools (`hearvalidator`, `heareval`) accept a model only if it is a
`torch.nn.Module` or a `tf.Module`; a Keras 3 model is neither, so the model
is a `tf.Module` holding the Keras model and what the embedding functions need.
"""

import math
import os

import keras
import numpy as np
import tensorflow as tf

from keras_audio_ssl.export.long_clips import ChunkedEmbedder
from keras_audio_ssl.export.model_parts import min_samples as model_min_samples
from keras_audio_ssl.export.validation import DEFAULT_CHUNK_SECONDS
from keras_audio_ssl.export.validation import EXPECTED_SAMPLE_RATE

# The hearvalidator warns above 50 ms between timestamps (its music-transcription
# tolerance), so the default hop is the largest one at or below it.
DEFAULT_HOP_MS = 50.0


class HearModel(tf.Module):
    """What `load_model` returns: the Keras model plus the HEAR attributes.

    Attributes:
        sample_rate: int, 16000.
        scene_embedding_size: int, the clip embedding's size.
        timestamp_embedding_size: int, the frame embedding's size.
        hop_ms: float, milliseconds between timestamp embeddings.
        frame_ms: float, the encoder's own frame period (hop x time downsampling).
        keras_model: the waveform -> embedding `keras.Model`.
    """

    def __init__(self, keras_model, chunked, *, passes, chunk_seconds):
        super().__init__(name="keras_audio_ssl_hear_model")
        self.keras_model = keras_model
        self.chunked = chunked
        self.passes = passes
        self.chunk_seconds = chunk_seconds
        self.sample_rate = EXPECTED_SAMPLE_RATE
        self.frame_samples = chunked.frame_samples
        self.shift_samples = chunked.frame_samples // passes
        self.frame_ms = 1000.0 * chunked.frame_samples / EXPECTED_SAMPLE_RATE
        self.hop_ms = 1000.0 * self.shift_samples / EXPECTED_SAMPLE_RATE
        self.min_samples = model_min_samples(keras_model)
        # Output frame j pools log-mel frames [D j, D j + D - 1]; a centred STFT puts log-mel
        # frame i at sample i * hop, so frame j's centre is (D j + (D - 1) / 2) * hop.
        stft_hop = chunked.frame_samples // _time_downsampling(keras_model)
        self.first_centre_samples = (chunked.frame_samples - stft_hop) / 2.0
        probe = np.zeros((1, self.min_samples + self.frame_samples), np.float32)
        self.scene_embedding_size = int(np.asarray(keras_model(probe, training=False)).shape[-1])
        self.timestamp_embedding_size = int(chunked.frames(probe[0]).shape[-1])

    def __repr__(self):
        return (
            f"HearModel({self.keras_model.name}: scene {self.scene_embedding_size}, "
            f"timestamp {self.timestamp_embedding_size} every {self.hop_ms:g} ms)"
        )


def _time_downsampling(keras_model):
    from keras_audio_ssl.export.model_parts import find_encoder
    from keras_audio_ssl.export.model_parts import time_downsampling

    return time_downsampling(find_encoder(keras_model))


def passes_for_hop(frame_samples, hop_ms):
    """Shifted passes k giving the hop `frame / k`: the smallest k with `frame / k <= hop_ms` and
    `frame_samples % k == 0` (the shift must be whole samples). `hop_ms=None`: 1 (the encoder's frames)."""
    if hop_ms is None:
        return 1
    if isinstance(hop_ms, bool) or not isinstance(hop_ms, (int, float)) or not hop_ms > 0:
        raise ValueError(f"`hop_ms` must be a positive number of milliseconds or None. Received: hop_ms={hop_ms!r}")
    frame_ms = 1000.0 * frame_samples / EXPECTED_SAMPLE_RATE
    passes = max(1, math.ceil(frame_ms / hop_ms - 1e-9))
    while frame_samples % passes:
        passes += 1
    return passes


def _keras_model(source):
    """The waveform -> embedding `keras.Model` named by `source`."""
    if isinstance(source, keras.Model):
        return source
    from keras_audio_ssl.encoders import presets

    path = os.fspath(source) if source is not None else ""
    if path in presets.preset_names() or (path and presets.is_preset_dir(path)):
        return presets.from_preset(path)
    if path and os.path.exists(path):
        from keras_audio_ssl.encoders import load_embedding_model

        return load_embedding_model(path)
    raise ValueError(
        "Expected a run directory (holding embedding_model.keras), a .keras embedding model file, a preset "
        f"directory or one of the built-in presets {presets.preset_names()}; nothing is there. "
        f"Received: model_file_path={path!r}"
    )


def load_model(model_file_path="", *, hop_ms=DEFAULT_HOP_MS, chunk_seconds=DEFAULT_CHUNK_SECONDS):
    """The HEAR 2021 `load_model`: a `tf.Module` for `get_scene_embeddings` / `get_timestamp_embeddings`.

    Args:
        model_file_path: a run directory, an embedding `.keras` file, or a
            waveform -> embedding `keras.Model` (the HEAR tools pass the
            `-m` argument here).
        hop_ms: the largest interval wanted between timestamp embeddings. The
            encoder's frames come every `frame_ms` (80 ms for AudioNTT2020);
            `k` passes over copies of the clip shifted by `frame_ms / k`,
            interleaved, give a hop of `frame_ms / k`, the largest such hop
            <= `hop_ms` (40 ms for AudioNTT2020 at the default 50). `None`:
            the encoder's own frames.
        chunk_seconds: clips longer than this are embedded window by window
            (bounded memory, `export.long_clips`).

    Raises:
        ValueError: nothing at the path, or an encoder without frame outputs
            ending in a time pooling (timestamp embeddings need both).

    Example:
    ```python
    model = load_model("runs/byola")
    embeddings, timestamps = get_timestamp_embeddings(audio, model)
    ```
    """
    if isinstance(chunk_seconds, bool) or not isinstance(chunk_seconds, (int, float)) or not chunk_seconds > 0:
        raise ValueError(f"`chunk_seconds` must be a positive number. Received: chunk_seconds={chunk_seconds!r}")
    keras_model = _keras_model(model_file_path)
    chunked = ChunkedEmbedder.for_model(keras_model, chunk_seconds)
    if chunked is None:
        raise ValueError(
            "Timestamp embeddings need an encoder with frame outputs (a `return_frames` option) ending in a "
            f"time pooling, as the AudioNTT, VGG-like, CRNN and EfficientNet encoders do. Received: "
            f"model={keras_model.name}"
        )
    passes = passes_for_hop(chunked.frame_samples, hop_ms)
    return HearModel(keras_model, chunked, passes=passes, chunk_seconds=chunk_seconds)
