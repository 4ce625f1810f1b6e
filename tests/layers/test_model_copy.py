import keras
import numpy as np

from keras_audio_ssl import encoders
from keras_audio_ssl.layers import structural_copy


def test_copy_has_the_architecture_and_name_but_its_own_variables():
    encoder = encoders.get("audio_ntt2020", feature_d=16)
    encoder.build((None, 64, 96, 1))
    copy = structural_copy(encoder, "target")
    copy.build((None, 64, 96, 1))
    assert copy.name == "target" and type(copy) is type(encoder)
    assert [w.shape for w in copy.weights] == [w.shape for w in encoder.weights]
    copy.set_weights(encoder.get_weights())
    x = np.random.default_rng(0).standard_normal((2, 64, 96, 1)).astype("float32")
    np.testing.assert_allclose(np.asarray(copy(x)), np.asarray(encoder(x)), atol=1e-5)
    copy.weights[0].assign(copy.weights[0] + 1.0)
    assert not np.allclose(np.asarray(copy.weights[0]), np.asarray(encoder.weights[0]))


def test_a_functional_model_is_cloned():
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(3)(inputs), name="plain")
    copy = structural_copy(model, "copied")
    assert copy is not model and [w.shape for w in copy.weights] == [w.shape for w in model.weights]
