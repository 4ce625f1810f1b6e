"""TFLite export: builtin ops only, fp32/fp16/int8 agreement with Keras on speech/music-like audio."""

import os

import numpy as np
import pytest

from keras_audio_ssl.export import export_tflite
from keras_audio_ssl.export.tflite import tflite_builtin_only


def run_tflite(path, clips):
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path))
    interpreter.allocate_tensors()
    inp = interpreter.get_input_details()[0]
    out = interpreter.get_output_details()[0]
    assert inp["dtype"] == np.float32 and out["dtype"] == np.float32
    results = []
    for clip in clips:
        interpreter.set_tensor(inp["index"], clip[None, :].astype(np.float32))
        interpreter.invoke()
        results.append(interpreter.get_tensor(out["index"])[0].copy())
    return np.stack(results)


def cosine(a, b):
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def tensor_types(path):
    from ai_edge_litert.interpreter import Interpreter

    return {d["name"]: np.dtype(d["dtype"]).name for d in Interpreter(model_path=str(path)).get_tensor_details()}


@pytest.fixture(scope="module")
def reference(embedding_model, speech_and_music):
    return np.asarray(embedding_model(speech_and_music, training=False))


def test_float32_matches_keras(embedding_model, speech_and_music, reference, tmp_path):
    path = export_tflite(embedding_model, tmp_path / "fp32.tflite")
    builtin, report = tflite_builtin_only(path)
    assert builtin, report
    assert "RFFT2D" in report  # the log-mel front end is inside the file
    got = run_tflite(path, speech_and_music)
    assert np.max(np.abs(got - reference)) <= 1e-4


def test_float16_cosine(embedding_model, speech_and_music, reference, tmp_path):
    path = export_tflite(embedding_model, tmp_path / "fp16.tflite", quantize="float16")
    assert tflite_builtin_only(path)[0]
    assert np.min(cosine(run_tflite(path, speech_and_music), reference)) >= 0.999
    # Weights halve (the float16 file also keeps some float32 front-end constants).
    assert os.path.getsize(path) < 0.8 * os.path.getsize(export_tflite(embedding_model, tmp_path / "fp32.tflite"))


def test_int8_encoder_with_float_front_end(embedding_model, speech_and_music, reference, tmp_path):
    path = export_tflite(embedding_model, tmp_path / "int8.tflite", quantize="int8", max_calibration_clips=16)
    builtin, report = tflite_builtin_only(path)
    assert builtin, report
    types = tensor_types(path)
    encoder_types = {t for name, t in types.items() if "audio_ntt2020" in name and "conv" in name}
    assert "int8" in encoder_types, encoder_types
    # Fused tensor names list their source ops, the first one is the op's own.
    front_end = {name: t for name, t in types.items() if "log_mel_spectrogram" in name.split(";")[0]}
    assert front_end and "int8" not in front_end.values(), front_end
    assert "float32" in front_end.values() and "complex64" in front_end.values()
    assert np.min(cosine(run_tflite(path, speech_and_music), reference)) >= 0.99


def test_too_short_clip_and_bad_mode_are_rejected(embedding_model, tmp_path):
    with pytest.raises(ValueError, match="clip_seconds=0.05"):
        export_tflite(embedding_model, tmp_path / "x.tflite", clip_seconds=0.05)
    with pytest.raises(ValueError, match="quantize='int4'"):
        export_tflite(embedding_model, tmp_path / "x.tflite", quantize="int4")


def test_tool_end_to_end_on_fit_run_dir(fit_run_dir, speech_and_music, tmp_path):
    from keras_audio_ssl.encoders import load_embedding_model
    from tests.test_case import exit_code
    from tools.export_tflite import main

    out = tmp_path / "model.tflite"
    assert exit_code(main, ["--model", fit_run_dir, "--output", str(out), "--seconds", "0.5"]) == 0
    clips = speech_and_music[:, :8000]
    expected = np.asarray(load_embedding_model(fit_run_dir)(clips, training=False))
    assert np.max(np.abs(run_tflite(out, clips) - expected)) <= 1e-4

    int8 = export_tflite(fit_run_dir, tmp_path / "int8.tflite", quantize="int8", clip_seconds=0.5, max_calibration_clips=16)
    assert np.min(cosine(run_tflite(int8, clips), expected)) >= 0.99


@pytest.mark.parametrize("num_frames", [1, 7, 8])
def test_packed_power_spectrum_matches_numpy(num_frames, rng):
    from keras_audio_ssl.export.tflite import packed_power_spectrum

    frames = rng.standard_normal((2, num_frames, 64)).astype(np.float32)
    frames[1] *= np.linspace(0.1, 3.0, num_frames, dtype=np.float32)[:, None]  # frames of different loudness
    got = np.asarray(packed_power_spectrum(frames))
    expected = np.abs(np.fft.rfft(frames.astype(np.float64), axis=-1)) ** 2
    assert got.shape == expected.shape
    # float32 round-off, relative to the loudest bin among the frames mixed in one 2-D FFT.
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5 * expected.max())


def test_embed_validates_before_invoking_the_tflite_model(embedding_model, speech_and_music, tmp_path):
    from keras_audio_ssl.export import embed

    path = export_tflite(embedding_model, tmp_path / "fixed.tflite", clip_seconds=0.5)
    clips = speech_and_music[:2, :8000]
    # The raw interpreter turns NaN samples into an all-NaN embedding: the file checks nothing.
    poisoned = clips.copy()
    poisoned[0, 100] = np.nan
    assert np.isnan(run_tflite(path, poisoned[:1])).all()
    with pytest.raises(ValueError, match=r"NaN or Inf samples \(batch rows \[0\]\)"):
        embed(str(path), poisoned)
    with pytest.raises(ValueError, match="is empty"):
        embed(str(path), np.zeros((1, 0), np.float32))
    with pytest.raises(ValueError, match="exactly 8000 samples"):
        embed(str(path), np.zeros((1, 8001), np.float32))
    np.testing.assert_allclose(embed(str(path), clips), run_tflite(path, clips), atol=1e-6)
    short = clips[:, :5000]
    np.testing.assert_allclose(
        embed(str(path), short), run_tflite(path, np.pad(short, [(0, 0), (0, 3000)])), atol=1e-6
    )
