import keras
import numpy as np
import pytest

from keras_audio_ssl.evaluation import downstream_statistics
from keras_audio_ssl.evaluation import embed_clips
from keras_audio_ssl.evaluation import embed_frames
from tests.test_case import tone
from tests.test_case import write_wav

encoders = pytest.importorskip("keras_audio_ssl.encoders")


@pytest.fixture(scope="module")
def model():
    keras.utils.set_random_seed(0)
    return encoders.build_embedding_model(encoders.AudioNTT2020(feature_d=16), mean=-5.0, std=3.0)


def _clips():
    rng = np.random.default_rng(0)
    return [
        tone(440.0, 1.0),
        tone(880.0, 1.0) + 0.01 * rng.normal(size=16000).astype(np.float32),
        tone(300.0, 0.5),  # shorter than one segment: zero-padded at both ends
        tone(1000.0, 2.3),  # longer: embedded whole
    ]


def test_embed_clips_matches_direct_call(model):
    clips = _clips()
    embeddings = embed_clips(model, clips, batch_size=2)
    assert embeddings.shape == (4, 16) and embeddings.dtype == np.float32
    direct = keras.ops.convert_to_numpy(model(np.stack(clips[:2]), training=False))
    np.testing.assert_allclose(embeddings[:2], direct, atol=1e-5)
    # A short clip is padded to 15,200 samples, centred.
    padded = np.pad(clips[2], (3600, 3600))
    np.testing.assert_allclose(embeddings[2], keras.ops.convert_to_numpy(model(padded[None]))[0], atol=1e-5)
    np.testing.assert_allclose(embeddings[3], keras.ops.convert_to_numpy(model(clips[3][None]))[0], atol=1e-5)


def test_embed_clips_reads_files(model, tmp_path):
    clips = _clips()
    # 32-bit float WAV: lossless, so files and arrays must give the same embeddings.
    paths = [write_wav(tmp_path / f"{i}.wav", c, subtype="FLOAT") for i, c in enumerate(clips)]
    np.testing.assert_allclose(embed_clips(model, paths), embed_clips(model, clips), atol=1e-5)


def test_downstream_statistics_are_log_mel_moments(model):
    clips = _clips()[:2]
    mean, std = downstream_statistics(model, clips)
    front_end = model.layers[1]
    log_mel = keras.ops.convert_to_numpy(front_end(np.stack(clips)))
    assert mean == pytest.approx(float(log_mel.mean()), rel=1e-4)
    assert std == pytest.approx(float(log_mel.std()), rel=1e-4)


def test_downstream_normalisation_equals_model_rebuilt_with_those_stats(model):
    clips = _clips()
    train = clips[:2]
    mean, std = downstream_statistics(model, train)
    got = embed_clips(model, clips, normalize_with="downstream", normalization_clips=train)
    rebuilt = encoders.build_embedding_model(model.layers[3], mean=mean, std=std)
    expected = embed_clips(rebuilt, clips)
    np.testing.assert_allclose(got, expected, atol=1e-5)
    assert not np.allclose(got, embed_clips(model, clips), atol=1e-3)  # the stats did change something


def test_frames_pool_to_the_clip_embedding(model):
    clips = _clips()
    frames = embed_frames(model, clips)
    clip_embeddings = embed_clips(model, clips)
    # 96 log-mel frames -> 12 after three 2x poolings; 2.3 s -> 231 frames -> 28.
    assert [f.shape for f in frames][:2] == [(12, 16), (12, 16)]
    assert frames[3].shape == (28, 16)
    for f, e in zip(frames, clip_embeddings):
        np.testing.assert_allclose(f.max(axis=0) + f.mean(axis=0), e, atol=1e-5)


def test_bad_inputs_name_the_problem(model, tmp_path):
    with pytest.raises(ValueError, match=r"clips\[1\]"):
        embed_clips(model, [tone(), np.full(100, np.nan, np.float32)])
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"not audio")
    with pytest.raises(ValueError, match="broken.wav"):
        embed_clips(model, [str(bad)])
    with pytest.raises(ValueError, match="normalization_clips"):
        embed_clips(model, [tone()], normalize_with="downstream")
    with pytest.raises(ValueError, match="normalize_with"):
        embed_clips(model, [tone()], normalize_with="imagenet")
