import contextlib
import io

import keras
import librosa
import numpy as np
import pytest
import scipy.signal
import tensorflow as tf

from keras_audio_ssl.audio.log_mel import LogMelSpectrogram
from tests.test_case import run_layer_test

SAMPLE_RATE = 16000
# Bins whose librosa power is below this fraction of the spectrogram's peak
# (-60 dB) are left out of the relative-error check: there the float32 FFT's
# round-off (relative to the frame's loudest bin) is larger than the bin.
ENERGY_FLOOR = 1e-6


def _noise(rng, num_samples=15200):
    return (0.1 * rng.standard_normal(num_samples)).astype(np.float32)


def _realish(rng, num_samples=16000):
    """Harmonic tone + log chirp + gated noise bursts: peaky, time-varying spectra."""
    t = np.arange(num_samples) / SAMPLE_RATE
    harmonic = sum(0.3 / k * np.sin(2 * np.pi * 220.0 * k * t) for k in range(1, 6))
    chirp = 0.2 * scipy.signal.chirp(t, f0=100, t1=t[-1], f1=7000, method="logarithmic")
    bursts = 0.3 * rng.standard_normal(num_samples) * (((t * 5) % 1) < 0.25)
    return (harmonic + chirp + bursts).astype(np.float32)


def _librosa_mel(y, mel_scale, norm, **overrides):
    kwargs = dict(
        sr=SAMPLE_RATE, n_fft=1024, hop_length=160, win_length=1024, window="hann",
        center=True, pad_mode="reflect", power=2.0, n_mels=64, fmin=60, fmax=7800,
    )
    kwargs.update(overrides)
    # float64 input: librosa's own float32 path is no better a reference than ours.
    return librosa.feature.melspectrogram(
        y=y.astype(np.float64), htk=mel_scale == "htk", norm=norm, **kwargs
    )


def _max_relative_error(ours, reference, power=2.0):
    # The floor is on power; a magnitude (power 1) spectrogram spans half the dB.
    mask = reference >= ENERGY_FLOOR ** (power / 2.0) * reference.max()
    # The check must stay meaningful: most bins carry energy.
    assert mask.mean() > 0.5, mask.mean()
    return np.max(np.abs(ours[mask] - reference[mask]) / reference[mask])


@pytest.mark.parametrize("signal", ["noise", "realish"])
@pytest.mark.parametrize(
    "mel_scale, norm, librosa_norm",
    [("slaney", "auto", "slaney"), ("htk", "auto", None), ("htk", "slaney", "slaney")],
)
def test_mel_power_matches_librosa(signal, mel_scale, norm, librosa_norm, rng):
    make = {"noise": _noise, "realish": _realish}[signal]
    batch = np.stack([make(rng), make(rng)])
    layer = LogMelSpectrogram(mel_scale=mel_scale, norm=norm)
    ours = keras.ops.convert_to_numpy(layer.mel_power(batch))
    for waveform, mel in zip(batch, ours):
        reference = _librosa_mel(waveform, mel_scale, librosa_norm)
        assert mel.shape == reference.shape
        assert _max_relative_error(mel, reference) <= 1e-3


@pytest.mark.parametrize(
    "layer_kwargs, librosa_kwargs",
    [
        # Window shorter than the FFT (zero-padded in the middle), magnitude.
        (dict(n_fft=512, win_length=400, n_mels=40, power=1.0),
         dict(n_fft=512, win_length=400, n_mels=40, power=1.0)),
        # No centring.
        (dict(center=False), dict(center=False)),
        # Zero padding instead of reflection.
        (dict(pad_mode="constant"), dict(pad_mode="constant")),
    ],
)
def test_other_settings_match_librosa(layer_kwargs, librosa_kwargs, rng):
    waveform = _realish(rng, 12345)
    layer = LogMelSpectrogram(**layer_kwargs)
    ours = keras.ops.convert_to_numpy(layer.mel_power(waveform[None]))[0]
    reference = _librosa_mel(waveform, "slaney", "slaney", **librosa_kwargs)
    assert ours.shape == reference.shape
    power = layer_kwargs.get("power", 2.0)
    assert _max_relative_error(ours, reference, power) <= 1e-3


def test_output_is_log_of_mel_power_plus_eps(rng):
    layer = LogMelSpectrogram()
    batch = np.stack([_realish(rng, 15200), _noise(rng)])
    output = keras.ops.convert_to_numpy(layer(batch))
    assert output.shape == (2, 64, 96, 1)
    assert output.dtype == np.float32
    mel = keras.ops.convert_to_numpy(layer.mel_power(batch))
    np.testing.assert_allclose(output[..., 0], np.log(mel + layer.eps), atol=1e-5)


@pytest.mark.parametrize(
    "num_samples, center",
    [(600, True), (15200, True), (16000, True), (16001, True), (1024, False),
     (15200, False), (16001, False)],
)
def test_frame_count_matches_librosa(num_samples, center):
    layer = LogMelSpectrogram(center=center)
    expected = librosa.util.frame(
        np.zeros(num_samples + (1024 if center else 0)), frame_length=1024, hop_length=160
    ).shape[1]
    assert layer.compute_output_shape((3, num_samples)) == (3, 64, expected, 1)
    assert tuple(layer(np.zeros((3, num_samples), np.float32)).shape) == (3, 64, expected, 1)


def test_symbolic_shape_with_unknown_length():
    layer = LogMelSpectrogram()
    assert layer.compute_output_shape((None, None)) == (None, 64, None, 1)
    assert tuple(layer(keras.Input(shape=(None,))).shape) == (None, 64, None, 1)
    assert tuple(layer(keras.Input(shape=(15200,))).shape) == (None, 64, 96, 1)


def test_silence_gives_log_eps_not_inf():
    layer = LogMelSpectrogram()
    output = keras.ops.convert_to_numpy(layer(np.zeros((2, 15200), np.float32)))
    assert np.all(np.isfinite(output))
    np.testing.assert_allclose(output, np.log(np.float32(layer.eps)), rtol=1e-6)


@pytest.mark.parametrize("shape", [(15200,), (2, 15200, 1)])
def test_rejects_inputs_that_are_not_batches_of_waveforms(shape):
    with pytest.raises(ValueError, match=r"\[batch, samples\]. Received: input_shape="):
        LogMelSpectrogram()(np.zeros(shape, np.float32))


def test_rejects_waveform_too_short_to_reflect():
    with pytest.raises(ValueError, match="Received: input_shape=\\(1, 512\\)"):
        LogMelSpectrogram()(np.zeros((1, 512), np.float32))


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(mel_scale="bark"), "mel_scale"),
        (dict(norm="l1"), "norm"),
        (dict(pad_mode="edge"), "pad_mode"),
        (dict(win_length=2048), "win_length"),
        (dict(hop_length=0), "hop_length"),
        (dict(power=0.0), "power"),
        (dict(f_max=9000.0), "f_max"),
    ],
)
def test_bad_arguments_raise(kwargs, name):
    with pytest.raises(ValueError, match=f"Received: {name}="):
        LogMelSpectrogram(**kwargs)


def test_layer_contract(rng):
    run_layer_test(
        LogMelSpectrogram,
        init_kwargs=dict(
            sample_rate=16000, n_fft=512, win_length=400, hop_length=160, n_mels=40,
            f_min=0.0, f_max=8000.0, power=2.0, mel_scale="htk", norm=None,
            eps=1e-6, center=True, pad_mode="reflect",
        ),
        input_data=rng.standard_normal((2, 4000)).astype(np.float32),
        expected_output_shape=(2, 40, 26, 1),
    )


def test_stays_float32_under_mixed_precision(rng):
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_float16")
    try:
        layer = LogMelSpectrogram()
        output = layer(rng.standard_normal((1, 15200)).astype(np.float32))
    finally:
        keras.config.set_dtype_policy(previous)
    assert output.dtype == "float32"


def test_runs_inside_tf_data_and_under_xla(rng):
    layer = LogMelSpectrogram()
    waveforms = rng.standard_normal((4, 15200)).astype(np.float32)
    eager = keras.ops.convert_to_numpy(layer(waveforms))

    dataset = tf.data.Dataset.from_tensor_slices(waveforms).batch(2).map(
        layer, num_parallel_calls=2
    )
    from_data = np.concatenate([batch.numpy() for batch in dataset])
    np.testing.assert_allclose(from_data, eager, atol=1e-5)

    compiled = tf.function(layer, jit_compile=True)
    np.testing.assert_allclose(compiled(waveforms).numpy(), eager, atol=1e-4)


def test_converts_to_tflite_with_builtin_ops_only(rng):
    from ai_edge_litert.interpreter import Interpreter

    inputs = keras.Input(shape=(15200,))
    model = keras.Model(inputs, LogMelSpectrogram()(inputs))
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    tflite_model = converter.convert()

    report = io.StringIO()
    with contextlib.redirect_stdout(report):
        tf.lite.experimental.Analyzer.analyze(model_content=tflite_model)
    report = report.getvalue()
    assert "RFFT2D" in report, report  # the analyzer did list the ops
    assert "Flex" not in report, report

    waveforms = np.stack([_realish(rng, 15200), _noise(rng), np.zeros(15200, np.float32)])
    interpreter = Interpreter(model_content=tflite_model)
    input_index = interpreter.get_input_details()[0]["index"]
    interpreter.resize_tensor_input(input_index, waveforms.shape)
    interpreter.allocate_tensors()
    interpreter.set_tensor(input_index, waveforms)
    interpreter.invoke()
    output = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    expected = model(waveforms).numpy()
    # Noise (flat spectrum) and silence agree everywhere.
    np.testing.assert_allclose(output[1:], expected[1:], atol=1e-4)
    # The real-ish clip spans > 100 dB: bins within 60 dB of its peak agree to
    # 1e-4; quieter ones carry the two float32 FFTs' round-off (measured
    # 2.3e-4, i.e. 2.3e-4 relative on linear power).
    loud = expected[0] >= expected[0].max() + np.log(ENERGY_FLOOR)
    assert loud.mean() > 0.5, loud.mean()
    np.testing.assert_allclose(output[0][loud], expected[0][loud], atol=1e-4)
    np.testing.assert_allclose(output[0], expected[0], atol=1e-3)
