"""Clip-level and frame-level embeddings from a waveform -> embedding model.

The model is the functional `keras.Model` of `build_embedding_model` (raw 16 kHz
waveform `[B, N]` -> LogMelSpectrogram -> PreNormalization -> encoder -> `[B, d]`).
Whole clips of any length are embedded (the encoder pools over time); clips of equal
length are batched together and one traced function serves every length.

BYOL-A's linear evaluation normalises the downstream inputs with statistics of the
downstream training set rather than of the pretraining data: `normalize_with=
"downstream"` recomputes the PreNormalization mean/std on the given training clips
and applies them in place of the stored ones.
"""

import collections

import keras
import numpy as np
import tensorflow as tf

from keras_audio_ssl.audio.clips import DEFAULT_SAMPLE_RATE
from keras_audio_ssl.encoders.embedding_model_parts import find_encoder
from keras_audio_ssl.encoders.embedding_model_parts import find_pre_normalization
from keras_audio_ssl.encoders.embedding_model_parts import frames_encoder_like
from keras_audio_ssl.encoders.embedding_model_parts import split_embedding_model
from keras_audio_ssl.audio.clips import fit_length
from keras_audio_ssl.audio.clips import load_clips
from keras_audio_ssl.encoders.embedding_model import EMBED_CHUNK_CLIPS
# One BYOL-A training segment (0.95 s): shorter clips are zero-padded at both ends.
DEFAULT_MIN_SAMPLES = 15200


def _batched_apply(fn, waveforms, batch_size):
    """Applies `fn` to batches of equal-length clips; returns outputs in input order."""
    by_length = collections.defaultdict(list)
    for i, wave in enumerate(waveforms):
        by_length[len(wave)].append(i)
    outputs = [None] * len(waveforms)
    for indices in by_length.values():
        for start in range(0, len(indices), batch_size):
            chunk = indices[start : start + batch_size]
            batch = tf.constant(np.stack([waveforms[i] for i in chunk]))
            result = np.asarray(fn(batch))
            for j, i in enumerate(chunk):
                outputs[i] = result[j]
    return outputs


def _traced(model):
    return tf.function(
        lambda x: model(x, training=False),
        input_signature=[tf.TensorSpec([None, None], tf.float32)],
        reduce_retracing=True,
    )


def downstream_statistics(embedding_model, clips, *, sample_rate=DEFAULT_SAMPLE_RATE, batch_size=EMBED_CHUNK_CLIPS,
                          min_samples=DEFAULT_MIN_SAMPLES, max_samples=None):
    """Mean and std of the model's log-mel front-end output over `clips` (scalars, as BYOL-A)."""
    front_end, _ = split_embedding_model(embedding_model)
    waveforms = [fit_length(w, min_samples, max_samples) for w in load_clips(clips, sample_rate)]
    fn = _traced(front_end)
    total, total_sq, count = 0.0, 0.0, 0
    for features in _batched_apply(fn, waveforms, batch_size):
        features = features.astype(np.float64)
        total += features.sum()
        total_sq += np.square(features).sum()
        count += features.size
    mean = total / count
    std = float(np.sqrt(max(total_sq / count - mean**2, 0.0)))
    if not np.isfinite(mean) or std <= 0:
        raise ValueError(f"Degenerate downstream statistics (mean={mean}, std={std}); are the clips silent?")
    return float(mean), std


def _normalized_fn(embedding_model, mean, std, rest_model=None):
    front_end, rest = split_embedding_model(embedding_model)
    rest = rest_model or rest
    return tf.function(
        lambda x: rest((front_end(x, training=False) - mean) / std, training=False),
        input_signature=[tf.TensorSpec([None, None], tf.float32)],
        reduce_retracing=True,
    )


def _resolve_normalization(embedding_model, normalize_with, normalization_clips, sample_rate, batch_size,
                           min_samples, max_samples):
    if isinstance(normalize_with, (tuple, list)) and len(normalize_with) == 2:
        return tuple(float(v) for v in normalize_with)
    if normalize_with == "pretraining":
        return None
    if normalize_with == "downstream":
        if normalization_clips is None:
            raise ValueError(
                "normalize_with='downstream' needs `normalization_clips` (the downstream training clips). "
                "Received: normalization_clips=None"
            )
        return downstream_statistics(embedding_model, normalization_clips, sample_rate=sample_rate,
                                     batch_size=batch_size, min_samples=min_samples, max_samples=max_samples)
    raise ValueError(
        "`normalize_with` must be 'pretraining', 'downstream' or a (mean, std) pair. "
        f"Received: normalize_with={normalize_with!r}"
    )


def embed_clips(embedding_model, clips, *, batch_size=EMBED_CHUNK_CLIPS, sample_rate=DEFAULT_SAMPLE_RATE,
                normalize_with="pretraining", normalization_clips=None, min_samples=DEFAULT_MIN_SAMPLES,
                max_samples=None):
    """Clip-level embeddings `[N, d]` of whole clips.

    Args:
        embedding_model: waveform `[B, N]` -> `[B, d]` keras.Model.
        clips: list of paths (decoded and resampled to `sample_rate`) or 1-D arrays.
        batch_size: clips per forward pass (clips of equal length are batched); the default keeps
            a forward pass's activations in cache (`encoders.EMBED_CHUNK_CLIPS`).
        sample_rate: rate the model expects.
        normalize_with: `"pretraining"` (the statistics stored in the model),
            `"downstream"` (recomputed on `normalization_clips`, the BYOL-A protocol)
            or a `(mean, std)` pair.
        normalization_clips: downstream training clips, for `"downstream"`.
        min_samples: shorter clips are zero-padded at both ends to this length
            (BYOL-A pads to one 0.95 s segment); `None` disables.
        max_samples: longer clips are centre-cropped to this length; `None` keeps
            whole clips.

    Example:
    >>> emb = embed_clips(model, ["a.wav", "b.wav"], normalize_with="downstream",
    ...                   normalization_clips=["a.wav"])  # doctest: +SKIP
    """
    stats = _resolve_normalization(embedding_model, normalize_with, normalization_clips, sample_rate, batch_size,
                                   min_samples, max_samples)
    waveforms = [fit_length(w, min_samples, max_samples) for w in load_clips(clips, sample_rate)]
    fn = _traced(embedding_model) if stats is None else _normalized_fn(embedding_model, *stats)
    outputs = _batched_apply(fn, waveforms, batch_size)
    embeddings = np.stack(outputs).astype(np.float32)
    if not np.all(np.isfinite(embeddings)):
        raise ValueError("The model produced NaN or infinite embeddings; check the input audio and normalisation.")
    return embeddings


def _normalized_to_frames(embedding_model):
    """Normalised log-mel -> frames `[B, T', d]`, on a copy of the encoder with its weights."""
    encoder = find_encoder(embedding_model)
    frames_encoder = frames_encoder_like(encoder)
    inputs = keras.Input(batch_shape=encoder.input.shape, dtype="float32")
    outputs = frames_encoder(inputs)
    frames_encoder.set_weights(encoder.get_weights())
    return keras.Model(inputs, outputs, name="normalized_to_frames")


def frame_embedding_model(embedding_model):
    """A waveform -> `[B, T', d]` model sharing the weights of `embedding_model`.

    Unlike export's `build_frames_model` (which reuses the model's own graph for
    the SavedModel), it takes a fresh waveform input. `embed_frames` composes the
    same parts itself, to swap the normalisation statistics.
    """
    inputs = keras.Input(batch_shape=(None, None), dtype="float32")
    front_end, _ = split_embedding_model(embedding_model)
    norm = find_pre_normalization(embedding_model)
    outputs = _normalized_to_frames(embedding_model)(norm(front_end(inputs)))
    return keras.Model(inputs, outputs, name="frame_embedding_model")


def embed_frames(embedding_model, clips, *, sample_rate=DEFAULT_SAMPLE_RATE, min_samples=DEFAULT_MIN_SAMPLES,
                 normalize_with="pretraining", normalization_clips=None):
    """Frame-level embeddings for event detection: a list of `[T'_i, d]` arrays, one per clip.

    `normalize_with` and `normalization_clips` as in `embed_clips`; `min_samples=None`
    keeps every clip as it is (padding shifts event times).
    """
    stats = _resolve_normalization(embedding_model, normalize_with, normalization_clips, sample_rate, 32,
                                   min_samples, None)
    front_end, _ = split_embedding_model(embedding_model)
    norm = find_pre_normalization(embedding_model)
    frames = _normalized_to_frames(embedding_model)
    if stats is None:
        normalize = lambda x: norm(x, training=False)  # noqa: E731
    else:
        normalize = lambda x: (x - stats[0]) / stats[1]  # noqa: E731
    fn = tf.function(
        lambda x: frames(normalize(front_end(x, training=False)), training=False),
        input_signature=[tf.TensorSpec([None, None], tf.float32)],
        reduce_retracing=True,
    )
    waveforms = [fit_length(w, min_samples) for w in load_clips(clips, sample_rate)]
    outputs = [np.asarray(out, dtype=np.float32) for out in _batched_apply(fn, waveforms, 1)]
    if not all(np.all(np.isfinite(out)) for out in outputs):
        raise ValueError("The model produced NaN or infinite frame embeddings; check the input audio and normalisation.")
    return outputs
