"""The HEAR API's contract, torch-free: shapes, dtypes, timestamps, alignment, padding, long clips."""

import numpy as np
import pytest
import tensorflow as tf

from keras_audio_ssl import hear
from keras_audio_ssl.hear.model import passes_for_hop
from tests.hear.conftest import tiny_embedding_model


@pytest.fixture(scope="module")
def keras_model():
    return tiny_embedding_model()


@pytest.fixture(scope="module")
def audio():
    return np.random.default_rng(3).uniform(-0.5, 0.5, (3, 40000)).astype(np.float32)


def test_load_model_attributes(tiny_run_dir):
    model = hear.load_model(tiny_run_dir)
    assert isinstance(model, tf.Module)
    assert (model.sample_rate, model.scene_embedding_size, model.timestamp_embedding_size) == (16000, 16, 16)
    assert all(type(v) is int for v in (model.sample_rate, model.scene_embedding_size, model.timestamp_embedding_size))
    # AudioNTT2020: 80 ms frames; the default (<= 50 ms) interleaves two passes 40 ms apart.
    assert (model.frame_ms, model.hop_ms, model.passes) == (80.0, 40.0, 2)
    same = hear.load_model(f"{tiny_run_dir}/embedding_model.keras")
    assert same.scene_embedding_size == 16


def test_load_model_reads_a_preset_directory_and_a_built_in_name(tmp_path, keras_model, audio):
    from keras_audio_ssl.encoders import save_to_preset

    save_to_preset(keras_model, str(tmp_path / "preset"))
    model = hear.load_model(str(tmp_path / "preset"))
    expected = hear.get_scene_embeddings(audio, hear.load_model(keras_model))
    np.testing.assert_allclose(hear.get_scene_embeddings(audio, model), expected, atol=1e-5)
    assert hear.load_model("byola_d512").scene_embedding_size == 512  # AudioNTT2020: max + mean over time, summed


def test_bad_paths_and_options(tmp_path, keras_model):
    with pytest.raises(ValueError, match="model_file_path='nowhere'"):
        hear.load_model("nowhere")
    with pytest.raises(FileNotFoundError, match="embedding_model.keras"):
        hear.load_model(str(tmp_path))
    with pytest.raises(ValueError, match="hop_ms=0"):
        hear.load_model(keras_model, hop_ms=0)
    with pytest.raises(ValueError, match="chunk_seconds=-1"):
        hear.load_model(keras_model, chunk_seconds=-1)
    with pytest.raises(ValueError, match="audio.*NaN"):
        hear.get_scene_embeddings(np.full((1, 4000), np.nan, np.float32), hear.load_model(keras_model))


@pytest.mark.parametrize("hop_ms, passes", [(None, 1), (80, 1), (50, 2), (40, 2), (30, 4), (20, 4), (10, 8), (12, 8)])
def test_hop_choice(hop_ms, passes):
    assert passes_for_hop(1280, hop_ms) == passes


@pytest.mark.parametrize("hop_ms", [None, 50, 20])
def test_shapes_dtypes_and_regular_timestamps(keras_model, audio, hop_ms):
    model = hear.load_model(keras_model, hop_ms=hop_ms)
    embeddings, timestamps = hear.get_timestamp_embeddings(tf.constant(audio), model)
    # Pass m embeds the clip without its first m * hop samples: (1 + N // 160) // 8 frames of 80 ms.
    shift = round(16 * model.hop_ms)
    count = sum((1 + (40000 - m * shift) // 160) // 8 for m in range(model.passes))
    assert count == {None: 31, 50: 61, 20: 122}[hop_ms]
    assert embeddings.dtype == tf.float32 and timestamps.dtype == tf.float32
    assert embeddings.shape == (3, count, 16) and timestamps.shape == (3, count)
    step = np.diff(timestamps.numpy(), axis=1)
    np.testing.assert_allclose(step, model.hop_ms, atol=1e-3)
    # Frame j of AudioNTT2020 pools log-mel frames 8j..8j+7, centred 35 ms after 80 j ms.
    assert float(timestamps[0, 0]) == pytest.approx(35.0)
    scene = hear.get_scene_embeddings(audio, model)
    assert scene.dtype == tf.float32 and scene.shape == (3, 16)


@pytest.mark.parametrize("hop_ms", [None, 40, 20])
def test_click_peaks_in_the_frame_nearest_it(energy_model, hop_ms):
    model = hear.load_model(energy_model, hop_ms=hop_ms)
    silence = np.zeros((1, 48000), np.float32)
    for t in np.linspace(0.2, 2.7, 11 if hop_ms else 21):
        clip = silence.copy()
        clip[0, int(round(t * 16000))] = 1.0
        embeddings, timestamps = hear.get_timestamp_embeddings(clip, model)
        response = embeddings.numpy()[0].sum(axis=-1)
        nearest = int(np.argmin(np.abs(timestamps.numpy()[0] - 1000 * t)))
        # Max pools flatten the top over neighbours at fine hops: the nearest frame is on the peak.
        assert response[nearest] >= response.max() * (1 - 1e-4), (hop_ms, t, timestamps.numpy()[0][np.argmax(response)])
        if hop_ms is None:
            assert np.argmax(response) == nearest


def test_interleaved_frames_equal_the_offset_copies(keras_model, audio):
    fine = hear.load_model(keras_model, hop_ms=20)
    coarse = hear.load_model(keras_model, hop_ms=None)
    embeddings, timestamps = hear.get_timestamp_embeddings(audio, fine)
    for m in range(4):
        shift = m * 320  # 20 ms
        copy, copy_times = hear.get_timestamp_embeddings(audio[:, shift:], coarse)
        np.testing.assert_allclose(embeddings.numpy()[:, m::4], copy.numpy(), atol=1e-6)
        np.testing.assert_allclose(timestamps.numpy()[:, m::4], copy_times.numpy() + 20.0 * m, atol=1e-3)


def test_scene_is_the_pooled_frames_and_the_keras_embedding(keras_model, audio):
    model = hear.load_model(keras_model, hop_ms=None)
    scene = hear.get_scene_embeddings(audio, model).numpy()
    frames = hear.get_timestamp_embeddings(audio, model)[0].numpy()
    np.testing.assert_allclose(scene, frames.max(axis=1) + frames.mean(axis=1), atol=1e-5)
    np.testing.assert_allclose(scene, np.asarray(keras_model(audio, training=False)), atol=1e-5)


def test_batch_invariant_and_deterministic(keras_model, audio):
    model = hear.load_model(keras_model)
    together, _ = hear.get_timestamp_embeddings(audio, model)
    np.testing.assert_array_equal(hear.get_timestamp_embeddings(audio, model)[0].numpy(), together.numpy())
    for i in range(len(audio)):
        alone, _ = hear.get_timestamp_embeddings(audio[i : i + 1], model)
        np.testing.assert_array_equal(alone.numpy()[0], together.numpy()[i])
        np.testing.assert_array_equal(
            hear.get_scene_embeddings(audio[i : i + 1], model).numpy()[0],
            hear.get_scene_embeddings(audio, model).numpy()[i],
        )


@pytest.mark.parametrize("num_samples", [1, 700, 1119])
def test_clips_shorter_than_a_frame_are_zero_padded(keras_model, num_samples):
    model = hear.load_model(keras_model, hop_ms=None)
    clip = np.random.default_rng(1).uniform(-0.5, 0.5, (2, num_samples)).astype(np.float32)
    embeddings, timestamps = hear.get_timestamp_embeddings(clip, model)
    assert embeddings.shape == (2, 1, 16) and timestamps.shape == (2, 1)
    padded = np.pad(clip, [(0, 0), (0, model.min_samples - num_samples)])  # 1120 samples: 8 log-mel frames
    np.testing.assert_array_equal(embeddings.numpy(), hear.get_timestamp_embeddings(padded, model)[0].numpy())
    scene = hear.get_scene_embeddings(clip, model).numpy()
    assert np.all(np.isfinite(scene))
    np.testing.assert_allclose(scene, np.asarray(keras_model(padded, training=False)), atol=1e-5)


def test_long_clip_window_by_window_equals_whole(keras_model):
    clip = np.random.default_rng(2).uniform(-0.5, 0.5, (1, 16000 * 25)).astype(np.float32)
    windowed = hear.load_model(keras_model, chunk_seconds=4)
    whole = hear.load_model(keras_model, chunk_seconds=60)
    a, ta = hear.get_timestamp_embeddings(clip, windowed)
    b, tb = hear.get_timestamp_embeddings(clip, whole)
    assert a.shape == (1, (1 + 400000 // 160) // 8 + (1 + (400000 - 640) // 160) // 8, 16)
    np.testing.assert_array_equal(ta.numpy(), tb.numpy())
    np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-5)
    np.testing.assert_allclose(hear.get_scene_embeddings(clip, windowed), hear.get_scene_embeddings(clip, whole), atol=1e-5)


def test_cli_runs_the_validator_checks(tiny_run_dir, capsys):
    from keras_audio_ssl.hear.__main__ import main

    assert main(["--model", tiny_run_dir]) == 0
    out = capsys.readouterr().out
    assert "every 40 ms from 35 ms" in out and "HEAR API checks passed" in out
    assert main(["--model", tiny_run_dir, "--hop-ms", "100"]) == 0
    assert "(the validator warns" in capsys.readouterr().out
    assert main(["--model", tiny_run_dir + "/missing"]) == 2
    assert "error: --model:" in capsys.readouterr().err
