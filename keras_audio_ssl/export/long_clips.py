"""Embedding clips too long to push through the encoder at once, window by window.

The whole-clip embedding of a frame-pooling encoder is `pool(frames)`, and each
frame depends only on a few hundred milliseconds around it (AudioNTT2020: 22
log-mel frames of convolution context plus the STFT window, under 0.3 s). So
frames computed on overlapping windows, with each window's edge frames dropped,
are the frames of the whole clip; pooling them gives its embedding with the
memory of one window. Windows start on the model's output-frame grid (hop x
time downsampling = 1280 samples for AudioNTT2020), so window frames line up
with whole-clip frames exactly.
"""

import keras
import numpy as np

from keras_audio_ssl.encoders.embedding_model_parts import build_frames_model
from keras_audio_ssl.encoders.embedding_model_parts import find_encoder
from keras_audio_ssl.encoders.embedding_model_parts import final_time_pooling
from keras_audio_ssl.encoders.embedding_model_parts import find_front_end
from keras_audio_ssl.encoders.embedding_model_parts import time_downsampling

SAMPLE_RATE = 16000
# Context kept on each side of a window, in output frames (1.28 s for AudioNTT2020): several
# times the encoder's receptive field, so dropped edge frames never reach a kept one.
MARGIN_FRAMES = 16


class ChunkedEmbedder:
    """`embedder(clip)` -> `[d]` for one long 1-D clip; build with `for_model`."""

    def __init__(self, frames_model, pooling, frame_samples, chunk_samples):
        self.frames_model = frames_model
        self.pooling = pooling
        self.frame_samples = frame_samples
        self.chunk_samples = chunk_samples
        self.margin_samples = MARGIN_FRAMES * frame_samples

    @classmethod
    def for_model(cls, model, chunk_seconds):
        """The chunked embedder of `model`, or None when it cannot be built (or `chunk_seconds` is None)."""
        if chunk_seconds is None:
            return None
        encoder = find_encoder(model)
        pooling = final_time_pooling(encoder)
        if pooling is None:
            return None  # the encoder does not end in a frames -> clip time pooling
        try:
            frames_model = build_frames_model(model)
        except ValueError:  # no `return_frames` option
            return None
        frame_samples = int(find_front_end(model).hop_length) * time_downsampling(encoder)
        chunk_samples = max(1, int(round(chunk_seconds * SAMPLE_RATE)) // frame_samples) * frame_samples
        return cls(frames_model, pooling, frame_samples, chunk_samples)

    def frames(self, clip):
        """Frame embeddings `[T', d]` of the whole clip, computed window by window."""
        total = clip.shape[0]
        parts = []
        for start in range(0, total, self.chunk_samples):
            low = max(0, start - self.margin_samples)
            last = start + self.chunk_samples + self.margin_samples >= total
            high = total if last else start + self.chunk_samples + self.margin_samples
            window = np.asarray(self.frames_model(clip[None, low:high], training=False))[0]
            first = (start - low) // self.frame_samples
            parts.append(window[first:] if last else window[first : first + self.chunk_samples // self.frame_samples])
            if last:
                break
        return np.concatenate(parts)

    def __call__(self, clip):
        frames = self.frames(clip)
        return np.asarray(self.pooling(keras.ops.convert_to_tensor(frames[None])), dtype=np.float32)[0]
