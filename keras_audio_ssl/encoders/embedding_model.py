"""The exported waveform -> embedding model (front end + normalization + encoder)."""

import os

import keras
import numpy as np

# Clips per call when many clips are embedded at once (`chunked_embedding_fn`, evaluation's
# `embed_clips`). One 1-s clip's 64-channel activations in AudioNTT2020 take ~1.6 MB: at 8 clips a
# layer's input and output (~13 MB) stay in the last-level cache, at 256 (~420 MB) every layer streams
# them through memory. 256 x 1-s clips (Intel Xeon, native AVX-512 and held to AVX2 kernels by
# ONEDNN_MAX_CPU_ISA, on a heavily shared 2-core machine): chunks of 8 ran 3.1x (native) / 3.5x (AVX2)
# one call on all 256 timing every chunk size in turn, 1.6x / 1.25x in `benchmarks/latency.py`'s
# alternating rounds, and at or above TFLite clip by clip; chunks of 16 and 32 (and 4 on AVX2 kernels)
# were slower than 8.
EMBED_CHUNK_CLIPS = 8


def build_embedding_model(encoder, *, mean, std, front_end=None, name="embedding_model"):
    """Wraps an encoder into a functional model from raw waveform to embedding.

    `waveform [B, N]` (16 kHz float32, any N) -> `LogMelSpectrogram` ->
    `PreNormalization(mean, std)` (frozen dataset statistics) -> `encoder`
    -> `embedding [B, d]`. This is the model a BYOL-A run writes as
    `embedding_model.keras`, and the one exported to SavedModel / TFLite.
    It computes in float32: an encoder trained under a mixed policy is
    replaced by a float32 copy holding its weights (`precision.float32_copy`).

    Args:
        encoder: a Keras model taking `[B, n_mels, T, 1]` log-mel.
        mean: float. Pre-normalization mean of the training log-mels.
        std: float. Pre-normalization standard deviation (> 0).
        front_end: optional Keras layer waveform `[B, N]` -> `[B, F, T, 1]`;
            defaults to `LogMelSpectrogram(n_mels=encoder.n_mels)`.
        name: str. Model name.

    Example:
    >>> model = build_embedding_model(AudioNTT2020(), mean=-8.0, std=4.0)
    >>> model(np.zeros((2, 16000), "float32")).shape
    TensorShape([2, 512])
    """
    from keras_audio_ssl import precision
    from keras_audio_ssl.augment import PreNormalization

    mean = float(mean)
    std = float(std)
    if not std > 0:
        raise ValueError(f"`std` must be positive. Received: std={std}")
    encoder = precision.float32_copy(encoder)
    with precision.policy_scope("float32"):  # whatever global policy the caller trained under
        if front_end is None:
            from keras_audio_ssl.audio import LogMelSpectrogram

            front_end = LogMelSpectrogram(n_mels=getattr(encoder, "n_mels", 64))
        waveform = keras.Input(shape=(None,), dtype="float32", name="waveform")
        x = front_end(waveform)
        pre_norm = PreNormalization(mean=mean, std=std, name="pre_normalization")
        pre_norm.trainable = False
        x = pre_norm(x)
        x = encoder(x)
        embedding = keras.layers.Identity(name="embedding")(x)
        return keras.Model(waveform, embedding, name=name)


def chunked_embedding_fn(model, chunk_clips=EMBED_CHUNK_CLIPS):
    """`waveforms [B, N] -> embeddings [B, d]` (NumPy) through one traced call per `chunk_clips` clips.

    The same numbers as `model(waveforms)` in one call (within float rounding:
    oneDNN may block a different batch differently), faster on a CPU because each
    chunk's activations stay in cache (see `EMBED_CHUNK_CLIPS`).
    """
    import tensorflow as tf

    if isinstance(chunk_clips, bool) or not isinstance(chunk_clips, int) or chunk_clips < 1:
        raise ValueError(f"chunk_clips must be a positive integer. Received: chunk_clips={chunk_clips!r}")
    traced = tf.function(lambda x: model(x, training=False),
                         input_signature=[tf.TensorSpec([None, None], tf.float32)], reduce_retracing=True)

    def embed(waveforms):
        waveforms = np.asarray(waveforms, dtype=np.float32)
        return np.concatenate([traced(tf.constant(waveforms[i:i + chunk_clips])).numpy()
                               for i in range(0, len(waveforms), chunk_clips)])

    return embed


def load_embedding_model(path):
    """Loads a waveform -> embedding model saved by `build_embedding_model`.

    Args:
        path: a run directory (holding `embedding_model.keras`) or a path to
            a `.keras` file.

    Raises:
        FileNotFoundError: naming the path when nothing is there.
    """
    # Importing the packages registers their layers for deserialization.
    import keras_audio_ssl.audio  # noqa: F401
    import keras_audio_ssl.augment  # noqa: F401
    import keras_audio_ssl.encoders  # noqa: F401

    path = os.fspath(path)
    if os.path.isdir(path):
        file_path = os.path.join(path, "embedding_model.keras")
        if not os.path.exists(file_path):
            raise FileNotFoundError(
                f"No embedding model in run directory {path!r}: expected "
                f"{file_path!r}. Received: path={path}"
            )
    else:
        file_path = path
        if not os.path.exists(file_path):
            raise FileNotFoundError(
                f"Embedding model file not found: {file_path!r}. Received: path={path}"
            )
        if not file_path.endswith(".keras"):
            raise ValueError(
                f"Expected a run directory or a `.keras` file. Received: path={path}"
            )
    try:
        return keras.saving.load_model(file_path)
    except Exception as e:  # a truncated zip, a missing or damaged config.json, a foreign file: name it
        detail = (str(e).strip().splitlines() or [type(e).__name__])[0][:300]
        raise ValueError(f"Cannot load the embedding model {file_path!r}: damaged, truncated or not a Keras "
                         f"embedding model ({type(e).__name__}: {detail}). Received: path={path}") from None
