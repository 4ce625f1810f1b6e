import numpy as np
import pytest
import tensorflow as tf

from keras_audio_ssl.layers import SeededRandomLayer
from keras_audio_ssl.layers import seeding


class _Noise(SeededRandomLayer):
    def call(self, inputs, training=True, seed=None):
        if not training:
            return inputs
        return inputs + seeding.normal(tf.shape(inputs), self.next_seed(seed))


def test_state_advances_and_the_same_seed_reproduces():
    x = np.zeros((2, 3), "float32")
    a, b = _Noise(seed=3), _Noise(seed=3)
    first, second = np.asarray(a(x)), np.asarray(a(x))
    assert not np.allclose(first, second)  # the state advanced
    np.testing.assert_array_equal(first, np.asarray(b(x)))
    explicit = np.asarray(a(x, seed=tf.constant([5, 9], tf.int64)))
    np.testing.assert_array_equal(explicit, np.asarray(b(x, seed=tf.constant([5, 9], tf.int64))))
    np.testing.assert_array_equal(np.asarray(a(x, training=False)), x)
    assert a.get_config()["seed"] == 3


def test_rejects_a_non_integer_seed():
    with pytest.raises(ValueError, match="seed"):
        _Noise(seed=1.5)
