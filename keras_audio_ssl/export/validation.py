"""Input checks for the Python embedding API and the export tools.

A wrong input must give a clear error, never a silent wrong embedding: the
encoder happily maps NaNs, int16 sample values or 44.1 kHz audio to a vector.
"""

import os

import numpy as np

EXPECTED_SAMPLE_RATE = 16000
# Window length of the chunked path for long clips (`embed`, the HEAR module); memory per
# window: see `embed`'s docstring.
DEFAULT_CHUNK_SECONDS = 60.0


def validate_waveform(waveform, *, sample_rate=EXPECTED_SAMPLE_RATE, min_samples=1, name="waveform"):
    """Checks a waveform batch and returns it as float32 `[batch, samples]`.

    Accepts a 1-D `[samples]` clip (made a batch of one) or a 2-D
    `[batch, samples]` batch of float samples in [-1, 1].

    Args:
        waveform: array-like of float samples at 16 kHz.
        sample_rate: the waveform's sample rate; anything but 16000 is an error
            (resample first with `keras_audio_ssl.audio.resample`).
        min_samples: fewest samples per clip the model accepts.
        name: the argument name used in error messages.

    Raises:
        ValueError: wrong sample rate, rank, dtype (integer PCM is refused rather
            than guessed: divide int16 by 32768 first), too few samples or
            non-finite samples.
    """
    if sample_rate != EXPECTED_SAMPLE_RATE:
        raise ValueError(
            f"The models take {EXPECTED_SAMPLE_RATE} Hz audio; resample first "
            "(keras_audio_ssl.audio.resample). "
            f"Received: sample_rate={sample_rate}"
        )
    array = np.asarray(waveform)
    if not (np.issubdtype(array.dtype, np.floating)):
        hint = ""
        if np.issubdtype(array.dtype, np.integer):
            hint = " Integer PCM must be scaled to [-1, 1] first, e.g. int16 / 32768."
        raise ValueError(
            f"`{name}` must hold float samples in [-1, 1].{hint} "
            f"Received: {name}.dtype={array.dtype}"
        )
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2:
        raise ValueError(
            f"`{name}` must be [samples] or [batch, samples] (mono; mix channels "
            f"down first). Received: {name}.shape={array.shape}"
        )
    if array.size == 0:
        raise ValueError(
            f"`{name}` is empty: it needs at least one clip with samples. Received: {name}.shape={array.shape}"
        )
    if array.shape[1] < min_samples:
        raise ValueError(
            f"`{name}` is too short: the model needs at least {min_samples} samples "
            f"({min_samples / EXPECTED_SAMPLE_RATE * 1000:.0f} ms). "
            f"Received: {name}.shape={array.shape}"
        )
    finite = np.isfinite(array)
    if not finite.all():
        bad_rows = np.flatnonzero(~finite.all(axis=1)).tolist()
        raise ValueError(
            f"`{name}` contains NaN or Inf samples (batch rows {bad_rows[:10]}). "
            f"Received: {name} with {int((~finite).sum())} non-finite values"
        )
    return array.astype(np.float32, copy=False)


def pad_to_min_samples(waveform, min_samples):
    """Zero-pads `[batch, samples]` at the end up to `min_samples` (NumPy)."""
    missing = min_samples - waveform.shape[1]
    if missing <= 0:
        return waveform
    return np.pad(waveform, [(0, 0), (0, missing)])


def embed(model, waveform, *, sample_rate=EXPECTED_SAMPLE_RATE, batch_size=32, chunk_seconds=DEFAULT_CHUNK_SECONDS):
    """Embeds waveforms with a waveform -> embedding model, after checking them.

    Clips shorter than the model's minimum are zero-padded at the end, the same
    as the exported SavedModel does. With a `.tflite` file, whose input length
    is fixed at export (`clip_seconds`), shorter clips are zero-padded to that
    length and longer ones are an error; the checks run before the interpreter
    is invoked, because the `.tflite` graph itself checks nothing (NaN samples
    in give an all-NaN embedding out).

    Memory: the encoder's activations grow with the clip (AudioNTT2020 d=512:
    ~175 MB per minute of audio, its first conv block's 64 x 64 x T maps), so
    clips longer than `chunk_seconds` are embedded window by window: frame
    embeddings of overlapping windows (1.28 s of context each side, dropped),
    then the encoder's own time pooling over all frames. The result equals
    the whole-clip embedding up to float rounding, at the memory of one window.

    Args:
        model: a waveform -> embedding `keras.Model`, run directory, `.keras`
            file or `.tflite` file.
        waveform: float `[samples]` or `[batch, samples]` at 16 kHz in [-1, 1].
        sample_rate: must be 16000.
        batch_size: clips per forward pass (Keras models).
        chunk_seconds: window length for long clips; `None` embeds every clip
            whole. Needs an encoder with frame outputs (`return_frames`) ending
            in a time pooling layer; other encoders embed whole clips.

    Returns:
        float32 NumPy array `[batch, d]`.

    Raises:
        ValueError: the waveform is empty, has the wrong rank, dtype or rate,
            non-finite samples, or is longer than a `.tflite` model's input.

    Example:
    ```python
    emb = embed("runs/byola", load_audio("dog.wav"))  # [1, d]
    emb = embed("byola.tflite", load_audio("dog.wav")[:16000])  # [1, d]
    ```
    """
    if isinstance(model, (str, os.PathLike)) and os.fspath(model).endswith(".tflite"):
        return _embed_tflite(os.fspath(model), validate_waveform(waveform, sample_rate=sample_rate))

    from keras_audio_ssl.export.long_clips import ChunkedEmbedder
    from keras_audio_ssl.export.model_parts import load_model_for_export
    from keras_audio_ssl.export.model_parts import min_samples as model_min_samples

    if chunk_seconds is not None and (isinstance(chunk_seconds, bool) or not chunk_seconds > 0):
        raise ValueError(f"`chunk_seconds` must be a positive number or None. Received: chunk_seconds={chunk_seconds!r}")
    model = load_model_for_export(model)
    array = validate_waveform(waveform, sample_rate=sample_rate)
    array = pad_to_min_samples(array, model_min_samples(model))
    chunked = ChunkedEmbedder.for_model(model, chunk_seconds)
    if chunked is None or array.shape[1] <= chunked.chunk_samples + 2 * chunked.margin_samples:
        return np.asarray(model.predict(array, batch_size=batch_size, verbose=0), dtype=np.float32)
    return np.stack([chunked(clip) for clip in array])


def _embed_tflite(path, array):
    from ai_edge_litert.interpreter import Interpreter

    if not os.path.isfile(path):
        raise FileNotFoundError(f"No .tflite file at {path!r}")
    from keras_audio_ssl.console import captured_stderr

    with captured_stderr():  # LiteRT's "INFO: Created TensorFlow Lite XNNPACK delegate" line
        interpreter = Interpreter(model_path=path)
        interpreter.allocate_tensors()
    (input_detail,) = interpreter.get_input_details()
    output_index = interpreter.get_output_details()[0]["index"]
    num_samples = int(input_detail["shape"][-1])
    if array.shape[1] > num_samples:
        raise ValueError(
            f"{path!r} takes clips of exactly {num_samples} samples ({num_samples / EXPECTED_SAMPLE_RATE:g} s, "
            "fixed at export); split the clip, or export with a larger clip_seconds. "
            f"Received: waveform.shape={array.shape}"
        )
    array = pad_to_min_samples(array, num_samples)
    embeddings = []
    for clip in array:
        interpreter.set_tensor(input_detail["index"], clip[None, :])
        interpreter.invoke()
        embeddings.append(np.array(interpreter.get_tensor(output_index)[0], dtype=np.float32))
    return np.stack(embeddings)
