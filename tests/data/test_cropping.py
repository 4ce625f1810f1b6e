import numpy as np
import pytest
import tensorflow as tf

from keras_audio_ssl.data import random_crop_or_pad
from keras_audio_ssl.data.cropping import element_seeds


def _crop(x, length, seed):
    return random_crop_or_pad(tf.constant(x), length, tf.constant(seed, tf.int64)).numpy()


@pytest.mark.parametrize("n,length", [(1, 16), (5, 16), (6, 16), (15199, 15200), (100, 15200)])
def test_short_input_is_centred_with_zeros(n, length):
    x = np.arange(1, n + 1, dtype=np.float32)
    out = _crop(x, length, [1, 2])
    left = (length - n) // 2
    expected = np.zeros(length, np.float32)
    expected[left : left + n] = x
    np.testing.assert_array_equal(out, expected)
    # Centred: the two pads differ by at most one sample.
    assert abs(left - (length - n - left)) <= 1


def test_exact_length_is_unchanged():
    x = np.random.default_rng(0).standard_normal(64).astype(np.float32)
    np.testing.assert_array_equal(_crop(x, 64, [3, 4]), x)


def test_long_input_gives_a_contiguous_window_and_covers_offsets():
    n, length = 40, 16
    x = np.arange(n, dtype=np.float32)
    starts = []
    for s in range(300):
        out = _crop(x, length, [s, 0])
        start = int(out[0])
        np.testing.assert_array_equal(out, x[start : start + length])
        starts.append(start)
    assert min(starts) == 0 and max(starts) == n - length  # both ends reachable
    assert len(set(starts)) == n - length + 1


def test_same_seed_same_crop_and_in_graph():
    x = np.random.default_rng(1).standard_normal(50000).astype(np.float32)
    crop = tf.function(lambda w, s: random_crop_or_pad(w, 15200, s))
    a = crop(tf.constant(x), tf.constant([7, 9], tf.int64)).numpy()
    b = crop(tf.constant(x), tf.constant([7, 9], tf.int64)).numpy()
    np.testing.assert_array_equal(a, b)
    assert crop.get_concrete_function(tf.TensorSpec([None], tf.float32), tf.TensorSpec([2], tf.int64)).output_shapes == [15200]


def test_bad_segment_length():
    with pytest.raises(ValueError, match="Received: segment_samples=0"):
        random_crop_or_pad(tf.zeros([10]), 0, tf.constant([1, 2]))


def test_element_seeds_reproducible_per_build_and_new_each_epoch():
    first = element_seeds(5).take(4)
    epoch1 = [tuple(s) for s in first.as_numpy_iterator()]
    epoch2 = [tuple(s) for s in first.as_numpy_iterator()]
    rebuilt = element_seeds(5).take(4)
    assert [tuple(s) for s in rebuilt.as_numpy_iterator()] == epoch1
    assert [tuple(s) for s in rebuilt.as_numpy_iterator()] == epoch2
    assert epoch1 != epoch2
    assert len(set(epoch1)) == 4
    assert [tuple(s) for s in element_seeds(6).take(4).as_numpy_iterator()] != epoch1


def test_repeat_padding_fills_the_segment_with_the_clip_at_a_random_phase():
    x = np.arange(1, 8, dtype="float32")  # 7 samples, none zero
    phases = set()
    for seed in range(12):
        out = random_crop_or_pad(tf.constant(x), 20, tf.constant([seed, 3], tf.int64), pad_mode="repeat").numpy()
        assert out.shape == (20,) and np.all(out != 0)
        # Consecutive samples follow the clip cyclically: a window of the tiled clip.
        np.testing.assert_array_equal(out, x[(np.arange(20) + int(out[0]) - 1) % 7])
        phases.add(int(out[0]))
    assert len(phases) > 3
    long = np.arange(1, 41, dtype="float32")  # longer clips are still cropped, not tiled
    out = random_crop_or_pad(tf.constant(long), 20, tf.constant([1, 2], tf.int64), pad_mode="repeat").numpy()
    np.testing.assert_array_equal(np.diff(out), 1.0)
    empty = random_crop_or_pad(tf.zeros([0]), 5, tf.constant([1, 2], tf.int64), pad_mode="repeat").numpy()
    np.testing.assert_array_equal(empty, 0.0)
    with pytest.raises(ValueError, match="pad_mode='reflect'"):
        random_crop_or_pad(tf.zeros([3]), 5, tf.constant([1, 2]), pad_mode="reflect")
