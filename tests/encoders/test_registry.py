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


def test_a_registered_variant_fixes_its_arguments():
    # COLA's EfficientNet-B0 is the class with max pooling and no head: the registry row says so.
    assert encoders.registry.fixed_arguments("efficientnet_b0_cola") == {"head": "max", "feature_d": 1280}
    assert encoders.registry.fixed_arguments("efficientnet_b0") == {}
    encoder = encoders.get("efficientnet_b0_cola", n_mels=32)
    assert (encoder.head, encoder.output_dim) == ("max", 1280)
    with pytest.raises(ValueError, match="Received: feature_d=512"):
        encoders.get("efficientnet_b0_cola", feature_d=512)
