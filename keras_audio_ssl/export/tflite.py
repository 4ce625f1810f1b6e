"""TFLite export: fixed-length raw 16 kHz waveform in, embedding out.

Converted from a fixed-shape Keras model with `TFLiteConverter.from_keras_model`
(DESIGN.md: `from_concrete_functions` on `tf.function(model)` gives NaNs on
TF 2.21). The log-mel front end becomes builtin ops (MirrorPad, RFFT2D, ...), so
no Flex delegate is needed.

Input contract: exactly `[1, clip_seconds * 16000]` float32 samples in [-1, 1].
The graph checks nothing (TFLite builtins have no assertion op): NaN or Inf
samples give an all-NaN embedding, and a wrong length is refused by the
interpreter's `set_tensor` only. Validate in the app before invoking, or use
`keras_audio_ssl.export.embed("model.tflite", waveform)`, which checks rank,
dtype, rate, emptiness and finiteness, zero-pads short clips and refuses long
ones.

Speed (LiteRT with its default XNNPACK delegate; `benchmarks/latency.py`
measures it): the encoder's convolutions run near the CPU's float32 peak
(BatchNorm folded into CONV_2D, ReLU fused); the front end is made fast by
framing with slices instead of a GATHER (`LogMelSpectrogram`) and by
`packed_power_spectrum` below, which the export swaps in for the layer's
`rfft` (the Keras model itself is unchanged).

Quantization:
- `"none"`: float32.
- `"float16"`: float16 weights, float32 compute (the converter's float16 mode).
- `"int8"`: the encoder runs in int8 (weights and activations, calibrated on a
  representative dataset pushed through the float front end); the log-mel front
  end and the normalisation stay float32, because int8 log-mel destroys
  accuracy (DESIGN.md: cosine ~0.88). Done in ONE .tflite file with the
  converter's selective quantization (`tf.lite.experimental.QuantizationDebugger`
  with `denylisted_nodes` = every op of the front end), so the file holds
  float front-end ops, a QUANTIZE op, int8 encoder ops and a DEQUANTIZE op.
"""

import contextlib
import io
import math
import os

import keras
import numpy as np
import tensorflow as tf

from keras_audio_ssl import atomic_write
from keras_audio_ssl.export.calibration import representative_waveforms
from keras_audio_ssl.export.model_parts import find_encoder
from keras_audio_ssl.export.model_parts import find_front_end
from keras_audio_ssl.export.model_parts import load_model_for_export
from keras_audio_ssl.export.model_parts import min_samples as model_min_samples

QUANTIZE_MODES = ("none", "float16", "int8")
SAMPLE_RATE = 16000


def fixed_length_model(model, num_samples):
    """Wraps a waveform -> embedding model with a static `[1, num_samples]` input."""
    waveform = keras.Input(batch_shape=(1, num_samples), dtype="float32", name="waveform")
    return keras.Model(waveform, model(waveform, training=False), name="embedding_fixed")


# Frames per RFFT2D slice (see `packed_power_spectrum`). LiteRT's RFFT2D
# computes in double and rebuilds its twiddle tables for every slice, so one
# 1024-point frame per slice is slow: RFFT2D alone on 101 frames measured
# 0.93 ms with 1 frame per slice, 0.69 (2), 0.58 (4), 0.52 (8), 0.54 (16).
# The whole 1-s front end: 0.91 / 0.81 / 0.77 / 0.83 ms for 2 / 4 / 8 / 16
# (1.09 ms unpacked). 4 keeps the mixed frames within 30 ms of each other.
FRAMES_PER_FFT = 4


def _inverse_dft_matrix(rows):
    """Maps `[Re X_0 .. Re X_{R-1}, Im X_0 .. Im X_{R-1}]` (the R-point DFT of
    R frame spectra along the stack) to `[Re Y_0, Im Y_0, Re Y_1, ...]`, the
    spectra themselves: `Y_r = (1/R) sum_k exp(2 pi i r k / R) X_k`."""
    r, k = np.meshgrid(np.arange(rows), np.arange(rows), indexing="ij")
    angle = 2.0 * np.pi * r * k / rows
    cos, sin = np.cos(angle), np.sin(angle)
    matrix = np.zeros((2 * rows, 2 * rows))
    matrix[0::2, :rows], matrix[0::2, rows:] = cos, -sin
    matrix[1::2, :rows], matrix[1::2, rows:] = sin, cos
    matrix[np.abs(matrix) < 1e-12] = 0.0  # exact zeros, not cos(pi / 2)
    return (matrix / rows).astype(np.float32)


def packed_power_spectrum(frames):
    """`|rfft(frames)|^2` of `[B, T, n]` frames, several frames per 2-D RFFT.

    A 2-D RFFT of R stacked frames returns their spectra `Y_r` mixed by an
    R-point DFT along the stack, `X_k = sum_r exp(-2 pi i k r / R) Y_r`; a
    small real matmul (the inverse DFT on real and imaginary parts) un-mixes
    them. Exact up to float32 round-off of the mixed values: a frame's bins
    carry errors relative to its neighbours' (R - 1 hops away, mostly
    overlapping windows), like the single-frame FFT's errors relative to the
    frame's own loudest bin.
    """
    rows = FRAMES_PER_FFT
    num_frames, width = frames.shape[1], frames.shape[2]
    slices = -(-num_frames // rows)
    x = tf.pad(frames, [[0, 0], [0, slices * rows - num_frames], [0, 0]])
    x = tf.reshape(x, [-1, slices, rows, width])
    spectrum = tf.signal.rfft2d(x)  # [B, S, R, F]
    bins = spectrum.shape[-1]
    mixed = tf.concat([tf.math.real(spectrum), tf.math.imag(spectrum)], axis=2)
    unmixed = tf.matmul(tf.constant(_inverse_dft_matrix(rows)), mixed)  # [B, S, 2R, F]
    # Rows come out as (Re Y_0, Im Y_0, Re Y_1, ...): one reshape pairs them.
    parts = tf.reshape(unmixed, [-1, slices * rows, 2, bins])
    power = tf.reduce_sum(tf.square(parts), axis=2)
    return power[:, :num_frames]


@contextlib.contextmanager
def _fast_front_end(model):
    """While converting, the model's log-mel uses `packed_power_spectrum`."""
    front_end = find_front_end(model)
    if not hasattr(front_end, "_power_spectrum"):  # another front end: as is
        yield
        return
    front_end._power_spectrum = packed_power_spectrum
    try:
        yield
    finally:
        del front_end._power_spectrum


def _front_end_tensor_names(tflite_bytes, encoder_name):
    """Names of the float model's tensors produced before the encoder.

    Ops inside the encoder carry the encoder's name in their output tensor
    names; everything else (front end, normalisation) is kept float.
    """
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=tflite_bytes)
    names = []
    for detail in interpreter.get_tensor_details():
        name = detail["name"]
        if encoder_name not in name:
            names.append(name)
    return names


def export_tflite(
    model_or_run_dir,
    output_path,
    *,
    quantize="none",
    clip_seconds=1.0,
    representative_data=None,
    max_calibration_clips=100,
):
    """Writes a `.tflite` embedding model (fixed-length waveform -> embedding).

    Args:
        model_or_run_dir: a waveform -> embedding `keras.Model`, a run directory
            from `recipes.byola.fit()`, or a `.keras` file.
        output_path: the `.tflite` file to write.
        quantize: `"none"`, `"float16"` or `"int8"` (encoder int8, front end float).
        clip_seconds: input length in seconds at 16 kHz (default 1 s).
        representative_data: int8 only: a folder of audio files, or an array /
            list of 1-D waveforms; None uses synthetic speech-like and
            music-like clips (prefer real audio of your domain).
        max_calibration_clips: at most this many clips calibrate int8.

    Returns:
        The output path.

    Example:
    ```python
    export_tflite("runs/byola", "byola.tflite", quantize="int8", representative_data="audio/")
    ```
    """
    if quantize not in QUANTIZE_MODES:
        raise ValueError(f"`quantize` must be one of {QUANTIZE_MODES}. Received: quantize={quantize!r}")
    output_path = _checked_output_file(output_path)
    if not (isinstance(clip_seconds, (int, float)) and math.isfinite(clip_seconds) and clip_seconds > 0):
        raise ValueError(f"`clip_seconds` must be a positive finite number. Received: clip_seconds={clip_seconds!r}")
    model = load_model_for_export(model_or_run_dir)
    num_samples = int(round(float(clip_seconds) * SAMPLE_RATE))
    minimum = model_min_samples(model)
    if num_samples < minimum:
        raise ValueError(
            f"`clip_seconds` gives {num_samples} samples; the model needs at least "
            f"{minimum} ({minimum / SAMPLE_RATE:.3f} s). Received: clip_seconds={clip_seconds}"
        )
    fixed = fixed_length_model(model, num_samples)
    # The converter's temporary SavedModel export prints every captured variable to stdout.
    with _fast_front_end(model), contextlib.redirect_stdout(io.StringIO()):
        converter = tf.lite.TFLiteConverter.from_keras_model(fixed)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
        if quantize == "float16":
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
            converter.target_spec.supported_types = [tf.float16]
            tflite_bytes = converter.convert()
        elif quantize == "int8":
            tflite_bytes = _convert_int8_encoder(
                fixed, model, num_samples, representative_data, max_calibration_clips
            )
        else:
            tflite_bytes = converter.convert()
    atomic_write.write_bytes(output_path, tflite_bytes)  # a full disk or a kill keeps the previous file
    atomic_write.remove_leftovers(os.path.dirname(os.path.abspath(output_path)), os.path.basename(output_path))
    return output_path


def _checked_output_file(output_path):
    """The output path, its folder created; refused before the (slow) conversion when it is a folder."""
    output_path = os.fspath(output_path)
    if os.path.isdir(output_path):
        raise ValueError(f"The output must be a file path, not a folder. Received: output={output_path}")
    folder = os.path.dirname(os.path.abspath(output_path))
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise ValueError(f"The output's folder {folder} is a file. Received: output={output_path}")
    os.makedirs(folder, exist_ok=True)
    return output_path


def _convert_int8_encoder(fixed, model, num_samples, representative_data, max_clips):
    clips = representative_waveforms(representative_data, num_samples=num_samples, max_clips=max_clips)

    def dataset():
        for clip in clips:
            yield [clip[None, :].astype(np.float32)]

    float_bytes = tf.lite.TFLiteConverter.from_keras_model(fixed).convert()
    encoder_name = find_encoder(model).name
    front_end_nodes = _front_end_tensor_names(float_bytes, encoder_name)

    converter = tf.lite.TFLiteConverter.from_keras_model(fixed)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = dataset
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    debugger = tf.lite.experimental.QuantizationDebugger(
        converter=converter,
        debug_dataset=dataset,
        debug_options=tf.lite.experimental.QuantizationDebugOptions(denylisted_nodes=front_end_nodes),
    )
    quantized = debugger.get_nondebug_quantized_model()
    _check_encoder_is_int8(quantized, encoder_name)
    return quantized


def _check_encoder_is_int8(tflite_bytes, encoder_name):
    # Selection by tensor name: if the encoder's ops were not found, the
    # "int8" file would silently be float; refuse that.
    from ai_edge_litert.interpreter import Interpreter

    details = Interpreter(model_content=tflite_bytes).get_tensor_details()
    if not any(encoder_name in d["name"] and d["dtype"] == np.int8 for d in details):
        raise RuntimeError(
            f"int8 conversion left the encoder {encoder_name!r} in float; "
            "selective quantization did not find its ops."
        )


def tflite_builtin_only(tflite_path_or_bytes):
    """True when the model uses no Flex / custom ops (checked with the TFLite Analyzer)."""
    import contextlib
    import io

    kwargs = (
        {"model_content": tflite_path_or_bytes}
        if isinstance(tflite_path_or_bytes, (bytes, bytearray))
        else {"model_path": os.fspath(tflite_path_or_bytes)}
    )
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        tf.lite.experimental.Analyzer.analyze(**kwargs)
    report = buffer.getvalue()
    return ("Flex" not in report and "CUSTOM" not in report.upper().replace("CUSTOM OPS", "")), report
