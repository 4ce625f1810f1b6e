import os
import sys
import types

import numpy as np
import pytest
import scipy.signal
import soundfile as sf
import tensorflow as tf

from keras_audio_ssl.audio import AudioDecodeError
from keras_audio_ssl.audio import decode_wav_tensor
from keras_audio_ssl.audio import load_audio
from keras_audio_ssl.audio import decode as decode_module
from keras_audio_ssl.audio.decode import tfio_available
from keras_audio_ssl.audio.decode import pcm16_wav_layout
from keras_audio_ssl.audio.decode import wav_is_graph_decodable
from tests.data import bad_corpus


@pytest.fixture(scope="module")
def odd(tmp_path_factory):
    return bad_corpus.write_odd_files(str(tmp_path_factory.mktemp("odd")))


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    return bad_corpus.write_broken_files(str(tmp_path_factory.mktemp("broken")))


LOSSLESS_16K = ["silence.wav", "pcm_u8.wav", "pcm_16.wav", "pcm_24.wav", "pcm_32.wav", "float32.wav",
                "stereo.wav", "pcm_24.flac", "short.wav"]


@pytest.mark.parametrize("name", LOSSLESS_16K)
def test_odd_but_valid_files_load_what_was_written(odd, name):
    f = odd[name]
    mono = load_audio(f.path)
    assert mono.dtype == np.float32 and mono.ndim == 1
    np.testing.assert_allclose(mono, f.mono, atol=f.atol, rtol=0)
    multi = load_audio(f.path, mono=False)
    assert multi.shape == f.expected.shape
    np.testing.assert_allclose(multi, f.expected, atol=f.atol, rtol=0)


def test_stereo_downmix_is_channel_mean(odd):
    f = odd["stereo.wav"]
    both = load_audio(f.path, mono=False)
    assert both.shape[1] == 2 and not np.allclose(both[:, 0], both[:, 1])
    np.testing.assert_allclose(load_audio(f.path), both.mean(axis=1), atol=1e-7)


@pytest.mark.parametrize("name,up,down", [("rate_44100.wav", 160, 441), ("rate_48000.wav", 1, 3)])
def test_resampled_to_16k_like_resample_poly(odd, name, up, down):
    f = odd[name]
    y = load_audio(f.path)
    expected_len = int(np.ceil(len(f.mono) * 16000 / f.sample_rate))
    assert len(y) == expected_len
    reference = scipy.signal.resample_poly(f.mono, up, down)
    np.testing.assert_allclose(y, reference, atol=1e-4)
    native = load_audio(f.path, sample_rate=None)
    assert len(native) == len(f.mono)
    np.testing.assert_allclose(native, f.mono, atol=f.atol)


@pytest.mark.parametrize("name", ["vorbis.ogg", "mpeg.mp3"])
def test_lossy_formats_decode_with_right_length_and_loudness(odd, name):
    if name not in odd:
        pytest.skip("this libsndfile has no MP3 support")
    f = odd[name]
    y = load_audio(f.path)
    assert np.all(np.isfinite(y))
    assert abs(len(y) - len(f.mono)) <= 2 * 1152  # at most a couple of codec frames of delay/padding
    rms, rms_ref = np.sqrt(np.mean(y**2)), np.sqrt(np.mean(f.mono**2))
    assert abs(rms - rms_ref) / rms_ref < 0.2


BROKEN_REASONS = {
    "empty.wav": "empty",
    "truncated_header.wav": "truncated header",
    "header_only.wav": "no samples",
    "zero_samples.wav": "no samples",
    "nan.wav": "NaN or Inf",
    "inf.wav": "NaN or Inf",
    "not_audio.wav": "not a readable audio file",
    "missing.wav": "does not exist",
}


@pytest.mark.parametrize("name", sorted(BROKEN_REASONS))
def test_broken_files_raise_naming_the_file(broken, name):
    with pytest.raises(AudioDecodeError) as info:
        load_audio(broken[name])
    assert isinstance(info.value, ValueError)
    assert broken[name] in str(info.value)
    assert BROKEN_REASONS[name] in str(info.value)
    assert info.value.path == broken[name]


def test_nan_error_counts_the_bad_samples(broken):
    with pytest.raises(AudioDecodeError, match="contains 1 NaN or Inf samples"):
        load_audio(broken["nan.wav"])


def test_directory_is_rejected(tmp_path):
    with pytest.raises(AudioDecodeError, match="directory"):
        load_audio(tmp_path)


def test_truncated_data_loads_the_samples_present(tmp_path):
    path, present = bad_corpus.write_truncated_data_file(str(tmp_path))
    y = load_audio(path)
    np.testing.assert_array_equal(y, present.astype(np.float32) / 32768.0)


def test_unreadable_file(tmp_path):
    path = bad_corpus.write_unreadable_file(str(tmp_path))
    if os.access(path, os.R_OK):  # root ignores mode 000: then it is simply a valid file
        assert load_audio(path).shape == (4000,)
    else:
        with pytest.raises(AudioDecodeError, match="cannot be read"):
            load_audio(path)


def test_bad_sample_rate_argument(odd):
    with pytest.raises(ValueError, match="Received: sample_rate=0"):
        load_audio(odd["pcm_16.wav"].path, sample_rate=0)


def test_decode_wav_tensor_matches_soundfile_in_graph(odd):
    @tf.function
    def decode(path):
        return decode_wav_tensor(tf.io.read_file(path))

    for name in ("pcm_16.wav", "stereo.wav"):
        f = odd[name]
        audio, rate = decode(tf.constant(f.path))
        assert audio.dtype == tf.float32 and rate.dtype == tf.int32
        assert int(rate) == 16000
        np.testing.assert_array_equal(audio.numpy(), load_audio(f.path, mono=False))


def test_graph_decodable_agrees_with_tf_decode_wav(odd, broken, tmp_path):
    truncated, _ = bad_corpus.write_truncated_data_file(str(tmp_path))
    trailing, _ = bad_corpus.write_wav_with_trailing_chunk(str(tmp_path))
    candidates = [f.path for f in odd.values()] + [p for p in broken.values() if os.path.exists(p)] + [truncated, trailing]
    verdicts = {}
    for path in candidates:
        try:
            tf.audio.decode_wav(tf.io.read_file(path))
            decodes = True
        except (tf.errors.InvalidArgumentError, UnicodeDecodeError):
            # Eager mode sometimes fails to decode TF's error text (it quotes raw header bytes).
            decodes = False
        assert wav_is_graph_decodable(path) == decodes, path
        verdicts[os.path.basename(path)] = decodes
    # Sanity: both outcomes occur, and the clean 16-bit files are the in-graph ones.
    assert verdicts["pcm_16.wav"] and verdicts["stereo.wav"] and verdicts["rate_44100.wav"]
    assert not verdicts["truncated_data.wav"] and not verdicts["pcm_24.wav"] and not verdicts["float32.wav"]
    assert verdicts["trailing_chunk.wav"]


def test_pcm16_layout_points_at_the_samples(odd, tmp_path):
    trailing, samples = bad_corpus.write_wav_with_trailing_chunk(str(tmp_path))
    for path, expected in ((trailing, samples), (odd["pcm_16.wav"].path, None)):
        offset, frames, channels = pcm16_wav_layout(path)
        with open(path, "rb") as f:
            f.seek(offset)
            raw = np.frombuffer(f.read(frames * channels * 2), "<i2").reshape(frames, channels)
        np.testing.assert_array_equal(raw / 32768.0, load_audio(path, mono=False))
        if expected is not None:
            np.testing.assert_array_equal(raw, expected)
    assert pcm16_wav_layout(odd["pcm_24.wav"].path) is None


def test_tfio_probe_is_false_when_not_installed():
    tfio_available.cache_clear()
    try:
        import tensorflow_io  # noqa: F401

        installed = True
    except Exception:
        installed = False
    if not installed:
        assert tfio_available() is False
    tfio_available.cache_clear()


def _fake_tfio(decode_wav):
    module = types.ModuleType("tensorflow_io")
    module.audio = types.SimpleNamespace(decode_wav=decode_wav)
    return module


def test_tfio_probe_false_when_ops_fail_to_load(monkeypatch):
    # What tensorflow-io 0.37.1 does on TF >= 2.18: imports fine, every op raises.
    def broken_op(*args, **kwargs):
        raise tf.errors.NotFoundError(None, None, "libtensorflow_io.so: undefined symbol")

    monkeypatch.setitem(sys.modules, "tensorflow_io", _fake_tfio(broken_op))
    decode_module.tfio_available.cache_clear()
    try:
        assert tfio_available() is False
    finally:
        decode_module.tfio_available.cache_clear()


def test_tfio_probe_true_when_an_op_runs(monkeypatch):
    def working_op(contents, dtype):
        audio, _ = tf.audio.decode_wav(contents)
        return tf.cast(audio * 32768.0, dtype)

    monkeypatch.setitem(sys.modules, "tensorflow_io", _fake_tfio(working_op))
    decode_module.tfio_available.cache_clear()
    try:
        assert tfio_available() is True
    finally:
        decode_module.tfio_available.cache_clear()


@pytest.mark.parametrize("scale", [32767.0, 1e20])
def test_float_audio_far_above_full_scale_is_an_error_naming_the_file(tmp_path, scale):
    import soundfile as sf

    from keras_audio_ssl.audio import AudioDecodeError
    from keras_audio_ssl.data import check_audio_files

    path = str(tmp_path / "loud.wav")
    signal = np.sin(np.linspace(0, 100 * np.pi, 8000)).astype(np.float32) * 0.5
    sf.write(path, signal * scale, 16000, subtype="FLOAT")
    with pytest.raises(AudioDecodeError, match="loud.wav.*far above 1.0"):
        load_audio(path)
    with pytest.raises(ValueError, match="loud.wav.*far above 1.0"):
        check_audio_files([path])
    assert check_audio_files([path], out_of_range="rescale") == [path]
    rescaled = load_audio(path, out_of_range="rescale")
    np.testing.assert_allclose(rescaled, signal / np.max(np.abs(signal)), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="out_of_range='clip'"):
        load_audio(path, out_of_range="clip")


def test_float_audio_slightly_over_full_scale_is_kept_as_stored(tmp_path):
    import soundfile as sf

    path = str(tmp_path / "over.wav")
    signal = np.linspace(-1.5, 1.5, 4000).astype(np.float32)
    sf.write(path, signal, 16000, subtype="FLOAT")
    np.testing.assert_array_equal(load_audio(path), signal)


def test_a_fifo_is_refused_not_waited_on(tmp_path):
    # Finding 7: evaluation and tools/embed.py hung on a manifest row / argument naming a FIFO.
    fifo = tmp_path / "pipe.wav"
    os.mkfifo(fifo)
    with pytest.raises(AudioDecodeError, match="not a regular file"):
        load_audio(str(fifo))


def test_a_gsm_610_wav_decodes(tmp_path):
    # Finding 6: libsndfile reports GSM 6.10 not seekable; soundfile then needs the frame count.
    path = str(tmp_path / "gsm.wav")
    tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(8000) / 8000)).astype(np.float32)
    sf.write(path, tone, 8000, format="WAV", subtype="GSM610")
    waveform = load_audio(path, sample_rate=8000)
    assert 8000 <= waveform.shape[0] <= 8000 + 320 and np.isfinite(waveform).all()  # whole 160-sample GSM frames
    assert np.corrcoef(waveform[400:7600], tone[400:7600])[0, 1] > 0.9  # a lossy codec, same tone


@pytest.mark.parametrize("rate", [1, 999, 768001, 2_000_000_000])
def test_absurd_header_rates_are_refused_naming_the_file_and_rate(tmp_path, rate):
    # Finding 5: a "1 Hz" header resampled a 32 kB file to 256 M samples; "2 GHz" left one sample.
    import struct

    from keras_audio_ssl.data.checks import inspect_audio_file

    path = str(tmp_path / "rate.wav")
    sf.write(path, np.zeros(16000, np.int16), 16000, subtype="PCM_16")
    with open(path, "r+b") as f:  # rewrite the fmt chunk's rate and byte rate
        f.seek(24)
        f.write(struct.pack("<II", rate, min(rate * 2, 2**32 - 1)))
    for read in (load_audio, inspect_audio_file):
        with pytest.raises(AudioDecodeError, match=f"{path}.*sample rate of {rate} Hz"):
            read(path)


@pytest.mark.parametrize("rate", [0, 1, 999, 10**9])
def test_absurd_target_rates_are_refused(rate):
    from keras_audio_ssl.data import make_pretraining_dataset

    with pytest.raises(ValueError, match=f"Received: sample_rate={rate}"):
        load_audio("any.wav", sample_rate=rate)
    with pytest.raises(ValueError, match=f"Received: sample_rate={rate}"):
        make_pretraining_dataset(np.zeros((4, 16000), np.float32), batch_size=2, sample_rate=rate)
