import os

import keras
import numpy as np
import pytest

from keras_audio_ssl.audio import LogMelSpectrogram
from keras_audio_ssl.encoders import AudioNTT2020
from keras_audio_ssl.encoders import build_embedding_model
from keras_audio_ssl.encoders import chunked_embedding_fn
from keras_audio_ssl.encoders import load_embedding_model


def _expected(encoder, waveform, mean, std):
    log_mel = keras.ops.convert_to_numpy(LogMelSpectrogram()(waveform))
    return keras.ops.convert_to_numpy(encoder((log_mel - mean) / std, training=False))


def test_embedding_model_is_front_end_then_normalization_then_encoder():
    encoder = AudioNTT2020(feature_d=16)
    model = build_embedding_model(encoder, mean=-5.0, std=3.0)
    assert model.inputs[0].name == "waveform"
    assert model.output_names == ["embedding"]
    rng = np.random.default_rng(0)
    for n in (4000, 6400):  # any length
        waveform = (0.1 * rng.standard_normal((2, n))).astype("float32")
        got = keras.ops.convert_to_numpy(model(waveform))
        assert got.shape == (2, 16)
        np.testing.assert_allclose(got, _expected(encoder, waveform, -5.0, 3.0), rtol=1e-4, atol=1e-4)


def test_load_from_run_dir_and_file(tmp_path):
    encoder = AudioNTT2020(feature_d=8)
    model = build_embedding_model(encoder, mean=-4.0, std=2.0)
    path = os.path.join(tmp_path, "embedding_model.keras")
    model.save(path)
    waveform = (0.1 * np.random.default_rng(1).standard_normal((1, 3200))).astype("float32")
    before = keras.ops.convert_to_numpy(model(waveform))
    for source in (str(tmp_path), path):
        loaded = load_embedding_model(source)
        np.testing.assert_allclose(keras.ops.convert_to_numpy(loaded(waveform)), before, atol=1e-5)


def test_missing_paths_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="embedding_model.keras"):
        load_embedding_model(str(tmp_path))
    missing = os.path.join(tmp_path, "nope.keras")
    with pytest.raises(FileNotFoundError, match="nope.keras"):
        load_embedding_model(missing)


def test_non_positive_std_is_rejected():
    with pytest.raises(ValueError, match="Received: std=0.0"):
        build_embedding_model(AudioNTT2020(feature_d=8), mean=0.0, std=0.0)


def test_frames_model_after_the_encoder_joined_another_graph():
    import keras

    from keras_audio_ssl.encoders.embedding_model_parts import build_frames_model
    from keras_audio_ssl.encoders.embedding_model_parts import find_encoder

    keras.utils.set_random_seed(0)
    model = build_embedding_model(AudioNTT2020(feature_d=16), mean=-6.0, std=4.0)
    encoder = find_encoder(model)
    # Another model built on the same encoder object (as a probe or an export would).
    other = keras.Model(inputs := keras.Input((64, None, 1)), encoder(inputs))
    assert len(encoder._inbound_nodes) == 2 and other is not None
    x = (0.1 * np.random.default_rng(0).standard_normal((2, 16000))).astype(np.float32)
    frames = np.asarray(build_frames_model(model)(x, training=False))
    assert frames.shape == (2, 12, 16)
    np.testing.assert_allclose(frames.max(axis=1) + frames.mean(axis=1), np.asarray(model(x, training=False)),
                               atol=1e-5)


def test_chunked_embedding_equals_one_call_on_the_whole_batch():
    model = build_embedding_model(AudioNTT2020(feature_d=16), mean=-6.0, std=4.0)
    waves = np.random.default_rng(0).standard_normal((11, 4000)).astype("float32") * 0.1
    whole = np.asarray(model(waves))
    for chunk in (4, 11, 32):  # a last partial chunk, exactly one, more than the batch
        out = chunked_embedding_fn(model, chunk_clips=chunk)(waves)
        assert out.shape == whole.shape
        np.testing.assert_allclose(out, whole, rtol=1e-5, atol=1e-5 * np.abs(whole).max())
    with pytest.raises(ValueError, match="Received: chunk_clips=0"):
        chunked_embedding_fn(model, chunk_clips=0)
