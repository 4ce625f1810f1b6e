import numpy as np
import pytest

from keras_audio_ssl import synthetic


@pytest.mark.parametrize("name", synthetic.CLASS_NAMES)
def test_clip_shape_range_and_reproducibility(name):
    a = synthetic.synthesize_clip(name, np.random.default_rng(3), seconds=0.5, sample_rate=16000)
    b = synthetic.synthesize_clip(name, np.random.default_rng(3), seconds=0.5, sample_rate=16000)
    assert a.shape == (8000,) and a.dtype == np.float32
    assert np.all(np.isfinite(a)) and 0.05 < np.max(np.abs(a)) <= 0.9 + 1e-6
    np.testing.assert_array_equal(a, b)


def test_harmonic_fundamental_lies_in_the_requested_band():
    edges = np.geomspace(100.0, 2000.0, 9)
    for band in (0, 3, 6):
        x = synthetic.synthesize_clip("harmonic", np.random.default_rng(band), seconds=1.0, band=band)
        spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size)))
        peak = np.argmax(spectrum)  # 1 Hz bins; partials decay with a spectral tilt, so f0 dominates
        assert edges[band] - 2 <= peak <= edges[band + 1] + 2


def test_chirp_sweeps_in_frequency():
    x = synthetic.synthesize_clip("chirp", np.random.default_rng(5), seconds=1.0)
    first = np.argmax(np.abs(np.fft.rfft(x[2000:6000])))
    last = np.argmax(np.abs(np.fft.rfft(x[10000:14000])))
    assert abs(int(first) - int(last)) > 5


def test_labeled_task_splits_by_pitch_band_and_balances_classes():
    task = synthetic.make_labeled_task(3, 2, seconds=0.25, seed=0)
    assert task["x_train"].shape == (18, 4000) and task["x_test"].shape == (12, 4000)
    np.testing.assert_array_equal(np.bincount(task["y_train"]), [3] * 6)
    np.testing.assert_array_equal(np.bincount(task["y_test"]), [2] * 6)
    assert task["class_names"] == list(synthetic.CLASS_NAMES)


def test_unknown_class_and_bad_count_raise():
    with pytest.raises(ValueError, match="class_name='bell'"):
        synthetic.synthesize_clip("bell", np.random.default_rng(0))
    with pytest.raises(ValueError, match="num_clips=0"):
        synthetic.make_unlabeled_corpus(0)


def test_write_wav_folder_round_trips(tmp_path):
    import soundfile as sf

    clips = synthetic.make_unlabeled_corpus(2, seconds=0.1, seed=1)
    paths = synthetic.write_wav_folder(tmp_path, clips)
    back, sr = sf.read(paths[1], dtype="float32")
    assert sr == 16000
    np.testing.assert_allclose(back, clips[1], atol=1.0 / 32768 + 1e-6)
