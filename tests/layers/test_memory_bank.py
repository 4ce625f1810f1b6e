import numpy as np
import pytest

from keras_audio_ssl.layers import FIFOMemoryBank


def test_push_keeps_the_last_entries_oldest_first():
    bank = FIFOMemoryBank(4)
    bank.push(np.arange(3, dtype="float32")[:, None])
    np.testing.assert_array_equal(bank.contents()[:, 0], [0, 1, 2])
    bank.push(np.arange(3, 6, dtype="float32")[:, None])
    np.testing.assert_array_equal(bank.contents()[:, 0], [2, 3, 4, 5])
    bank.push(np.arange(6, 16, dtype="float32")[:, None])  # more than the bank holds
    np.testing.assert_array_equal(bank.contents()[:, 0], [12, 13, 14, 15])
    bank.reset()
    assert bank.contents().shape == (0, 1)


def test_uniform_slots_stay_inside_the_filled_part():
    bank = FIFOMemoryBank(8)
    bank.build((None, 2))
    u = np.linspace(0.0, 0.999, 50).astype("float32")
    assert np.all(np.asarray(bank.uniform_slots(u)) == 0)  # empty bank
    bank.push(np.ones((3, 2), "float32"))
    slots = np.asarray(bank.uniform_slots(u))
    assert slots.min() == 0 and slots.max() == 2


def test_rejects_bad_sizes():
    with pytest.raises(ValueError, match="memory_size"):
        FIFOMemoryBank(0)
    with pytest.raises(ValueError, match="sample shape"):
        FIFOMemoryBank(4).build((None, None))
