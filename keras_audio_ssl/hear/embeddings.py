"""The HEAR 2021 embedding functions over a `HearModel`.

Every clip is embedded on its own (window by window when long), so a clip's
embeddings do not depend on the rest of the batch, and the same input gives
the same output.
"""

import numpy as np
import tensorflow as tf

from keras_audio_ssl.export.validation import validate_waveform


def _as_batch(audio):
    # hearvalidator passes tf tensors, heareval torch tensors; both become [n_sounds, n_samples].
    if hasattr(audio, "detach"):
        audio = audio.detach().cpu().numpy()
    return validate_waveform(np.asarray(audio), name="audio")


def _padded(clip, length):
    # Shorter than one frame: zero-padded at the end, like the SavedModel export.
    return clip if clip.shape[0] >= length else np.pad(clip, (0, length - clip.shape[0]))


def clip_frames(clip, model):
    """Frame embeddings `[T, d]` of one 1-D clip every `model.hop_ms`.

    Pass m embeds the clip without its first `m * shift` samples, so its
    frames are exactly those of that offset copy; frame j of pass m becomes
    frame `j * passes + m`. Each pass has as many frames as pass 0 or one
    fewer, so the interleaved frames are all of them in time order.
    """
    shift = model.shift_samples
    clip = _padded(clip, model.min_samples + (model.passes - 1) * shift)
    per_pass = [model.chunked.frames(clip[m * shift :]) for m in range(model.passes)]
    frames = np.empty((sum(len(p) for p in per_pass), per_pass[0].shape[-1]), np.float32)
    for m, part in enumerate(per_pass):
        frames[m :: model.passes][: len(part)] = part
    return frames


def frame_timestamps_ms(num_frames, model):
    """Centre of each frame in milliseconds: `first centre + i * hop`."""
    centres = model.first_centre_samples + model.shift_samples * np.arange(num_frames, dtype=np.float64)
    return (1000.0 * centres / model.sample_rate).astype(np.float32)


def get_timestamp_embeddings(audio, model):
    """HEAR 2021: `(embeddings [n_sounds, n_timestamps, d], timestamps [n_sounds, n_timestamps])`.

    Embeddings are the encoder's frames (before its time pooling) every
    `model.hop_ms`; timestamps are the frames' centres in milliseconds.

    Args:
        audio: `[n_sounds, n_samples]` float audio at 16 kHz in [-1, 1]
            (tf / torch tensor or array).
        model: what `load_model` returned.
    """
    batch = _as_batch(audio)
    frames = np.stack([clip_frames(clip, model) for clip in batch])
    timestamps = np.broadcast_to(frame_timestamps_ms(frames.shape[1], model), frames.shape[:2])
    return tf.constant(frames, tf.float32), tf.constant(timestamps, tf.float32)


def get_scene_embeddings(audio, model):
    """HEAR 2021: `[n_sounds, scene_embedding_size]`, the model's clip embedding.

    The encoder's own time pooling over the clip's frames (the embedding
    model's output), computed window by window for long clips.
    """
    batch = _as_batch(audio)
    embeddings = [model.chunked(_padded(clip, model.min_samples)) for clip in batch]
    return tf.constant(np.stack(embeddings), tf.float32)
