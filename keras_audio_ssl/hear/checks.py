"""What `hear-validator` checks, without torch: `python -m keras_audio_ssl.hear --model <path>`.

The same inputs as hearvalidator 2021.0.2 for TensorFlow modules: 16 clips of
2 s of uniform noise in [-1, 1] for timestamp embeddings, 8 clips of 3.74 s
for scene embeddings; the same conditions, and its 50 ms hop suggestion.
"""

import numpy as np
import tensorflow as tf

ACCEPTABLE_SAMPLE_RATES = (16000, 22050, 44100, 48000)
SUGGESTED_MAX_HOP_MS = 50.0


class HearCheckError(ValueError):
    """A condition the HEAR validator would fail."""


def _require(condition, message):
    if not condition:
        raise HearCheckError(message)


def run_checks(api, model, *, seed=0):
    """Yields one line per check passed; raises `HearCheckError` at the first failure.

    Args:
        api: the module with `get_scene_embeddings` / `get_timestamp_embeddings`.
        model: what `api.load_model` returned.
    """
    _require(isinstance(model, tf.Module), f"load_model must return a tf.Module. Received: {type(model).__name__}")
    yield f"load_model returned a tf.Module: {model!r}"
    _require(model.sample_rate in ACCEPTABLE_SAMPLE_RATES, f"sample_rate must be one of {ACCEPTABLE_SAMPLE_RATES}. "
             f"Received: sample_rate={model.sample_rate}")
    yield f"sample_rate: {model.sample_rate}"
    for name in ("scene_embedding_size", "timestamp_embedding_size"):
        _require(isinstance(getattr(model, name), int), f"{name} must be an int. Received: {getattr(model, name)!r}")
        yield f"{name}: {getattr(model, name)}"

    rng = np.random.default_rng(seed)
    audio = tf.constant(rng.uniform(-1, 1, (16, int(2.0 * model.sample_rate))), tf.float32)
    embeddings, timestamps = api.get_timestamp_embeddings(audio, model)
    _require(embeddings.dtype == tf.float32, f"timestamp embeddings must be float32. Received: {embeddings.dtype}")
    _require(embeddings.shape[0] == 16, f"expected 16 timestamp embeddings rows. Received: {embeddings.shape}")
    _require(tuple(embeddings.shape[:2]) == tuple(timestamps.shape),
             f"timestamps must be [n_sounds, n_timestamps]. Received: {timestamps.shape} for {embeddings.shape}")
    _require(embeddings.shape[2] == model.timestamp_embedding_size,
             f"embedding size {embeddings.shape[2]} != timestamp_embedding_size {model.timestamp_embedding_size}")
    diff = np.diff(np.asarray(timestamps), axis=1)
    interval = float(diff.mean())
    _require(bool(np.all(np.abs(diff - interval) < 1e-3)), "timestamps must be regular (within 1e-3 ms)")
    note = "" if interval <= SUGGESTED_MAX_HOP_MS else f" (the validator warns: it suggests <= {SUGGESTED_MAX_HOP_MS:g} ms)"
    yield (f"get_timestamp_embeddings: {tuple(embeddings.shape)} float32, timestamps {tuple(timestamps.shape)} "
           f"every {interval:g} ms from {float(timestamps[0, 0]):g} ms{note}")

    audio = tf.constant(rng.uniform(-1, 1, (8, int(3.74 * model.sample_rate))), tf.float32)
    scene = api.get_scene_embeddings(audio, model)
    _require(scene.dtype == tf.float32, f"scene embeddings must be float32. Received: {scene.dtype}")
    _require(tuple(scene.shape) == (8, model.scene_embedding_size),
             f"expected scene embeddings (8, {model.scene_embedding_size}). Received: {tuple(scene.shape)}")
    yield f"get_scene_embeddings: {tuple(scene.shape)} float32"
