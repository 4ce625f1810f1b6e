import pytest

from keras_audio_ssl import encoders


def test_get_by_key_or_class_name():
    assert "audio_ntt2020" in encoders.names()
    a = encoders.get("audio_ntt2020", feature_d=32)
    b = encoders.get("AudioNTT2020", feature_d=32)
    assert type(a) is type(b) is encoders.AudioNTT2020 and a.feature_d == 32


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError, match="audio_ntt2020.*Received: name='nope'"):
        encoders.get("nope")
