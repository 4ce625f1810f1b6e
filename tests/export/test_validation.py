"""Input checks of the Python embedding API."""

import numpy as np
import pytest

from keras_audio_ssl.export import embed
from keras_audio_ssl.export import validate_waveform


def test_accepts_1d_and_2d_float():
    assert validate_waveform(np.zeros(2000, np.float64)).shape == (1, 2000)
    out = validate_waveform(np.zeros((3, 2000), np.float32))
    assert out.shape == (3, 2000) and out.dtype == np.float32


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"waveform": np.zeros(2000, np.float32), "sample_rate": 44100}, "sample_rate=44100"),
        ({"waveform": np.zeros(2000, np.int16)}, "int16 / 32768"),
        ({"waveform": np.zeros((1, 2, 2000), np.float32)}, r"shape=\(1, 2, 2000\)"),
        ({"waveform": np.zeros((1, 100), np.float32), "min_samples": 1120}, "at least 1120 samples"),
        ({"waveform": np.zeros(0, np.float32)}, r"`waveform` is empty: .*shape=\(1, 0\)"),
        ({"waveform": np.zeros((0, 2000), np.float32)}, r"`waveform` is empty: .*shape=\(0, 2000\)"),
    ],
)
def test_rejects_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        validate_waveform(**kwargs)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_rejects_non_finite_naming_rows(bad):
    x = np.zeros((3, 2000), np.float32)
    x[2, 7] = bad
    with pytest.raises(ValueError, match=r"NaN or Inf samples \(batch rows \[2\]\)"):
        validate_waveform(x)


def test_embed_checks_and_pads(embedding_model, rng):
    x = (0.1 * rng.standard_normal(600)).astype(np.float32)
    got = embed(embedding_model, x)
    expected = np.asarray(embedding_model(np.pad(x, (0, 1120 - 600))[None], training=False))
    np.testing.assert_allclose(got, expected, atol=1e-5)
    with pytest.raises(ValueError, match="sample_rate=8000"):
        embed(embedding_model, x, sample_rate=8000)
    with pytest.raises(ValueError, match="NaN"):
        embed(embedding_model, np.full(16000, np.nan, np.float32))


def test_long_clips_are_embedded_window_by_window_as_whole_clips(embedding_model, rng):
    from keras_audio_ssl.export.long_clips import ChunkedEmbedder
    from keras_audio_ssl.export.model_parts import build_frames_model

    x = (0.1 * rng.standard_normal((2, 16000 * 20 + 777))).astype(np.float32)
    whole = embed(embedding_model, x, chunk_seconds=None)
    chunked = embed(embedding_model, x, chunk_seconds=3.0)  # 7 windows of 3 s plus context
    np.testing.assert_allclose(chunked, whole, rtol=1e-4, atol=1e-5)
    embedder = ChunkedEmbedder.for_model(embedding_model, 3.0)
    assert embedder.chunk_samples == 37 * 1280 and embedder.margin_samples == 16 * 1280
    np.testing.assert_allclose(embedder.frames(x[0]), np.asarray(build_frames_model(embedding_model)(x[:1]))[0],
                               rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="chunk_seconds=0"):
        embed(embedding_model, x, chunk_seconds=0)


def test_embed_tool_prints_one_line_per_file_and_saves_the_array(fit_run_dir, tmp_path, capsys, rng):
    import soundfile as sf

    from tools.embed import main

    clip = (0.1 * rng.standard_normal(24000)).astype(np.float32)
    sf.write(str(tmp_path / "a.wav"), clip, 16000, subtype="FLOAT")
    out = tmp_path / "emb.npy"
    assert main(["--model", fit_run_dir, "--audio", str(tmp_path / "a.wav"), "--output", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "a.wav: 1.50 s -> embedding d=64" in printed and "[1, 64]" in printed
    np.testing.assert_allclose(np.load(out), embed(fit_run_dir, clip), rtol=1e-5, atol=1e-6)
    assert main(["--model", fit_run_dir, "--audio", str(tmp_path / "missing.wav")]) == 2
    assert "missing.wav" in capsys.readouterr().err
