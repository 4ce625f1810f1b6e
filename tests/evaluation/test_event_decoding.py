import numpy as np
import pytest

from keras_audio_ssl.evaluation.event_decoding import activity_to_events
from keras_audio_ssl.evaluation.event_decoding import binarize
from keras_audio_ssl.evaluation.event_decoding import decode_events
from keras_audio_ssl.evaluation.event_decoding import frame_targets
from keras_audio_ssl.evaluation.event_decoding import median_filter_frames


def test_frame_targets_mark_frames_the_event_covers_by_half():
    # 0.1 s frames: [0, .1), [.1, .2), ...; "a" covers 0.14-0.36 s, "b" a 30 ms blip in frame 7.
    events = [(0.14, 0.36, "a"), (0.72, 0.75, "b")]
    targets = frame_targets(events, 10, 0.1, ["a", "b"])
    # Frame 1 is covered 0.06 s (>= 0.05): on; frame 3 only 0.06 s: on; frame 0 and 4: off.
    np.testing.assert_array_equal(np.flatnonzero(targets[:, 0]), [1, 2, 3])
    np.testing.assert_array_equal(np.flatnonzero(targets[:, 1]), [7])
    with pytest.raises(ValueError, match="'c'"):
        frame_targets([(0.0, 1.0, "c")], 10, 0.1, ["a", "b"])


def test_median_filter_length_is_odd_and_at_least_one():
    assert median_filter_frames(0.25, 0.08) == 3
    assert median_filter_frames(0.4, 0.1) == 5
    assert median_filter_frames(0.0, 0.08) == 1
    assert median_filter_frames(0.02, 0.08) == 1


def test_binarize_removes_blips_and_fills_gaps():
    p = np.array([0.9, 0.1, 0.9, 0.9, 0.1, 0.1, 0.9, 0.1, 0.1, 0.1])[:, None]
    np.testing.assert_array_equal(binarize(p, 0.5, 1)[:, 0], p[:, 0] > 0.5)
    # Window 3: the gap at frame 1 is filled, the lone frame 6 is removed.
    np.testing.assert_array_equal(np.flatnonzero(binarize(p, 0.5, 3)[:, 0]), [0, 1, 2, 3])
    with pytest.raises(ValueError, match="threshold"):
        binarize(p, 1.5)


def test_activity_to_events_one_event_per_run_and_class():
    activity = np.zeros((8, 2), bool)
    activity[1:3, 0] = activity[5:8, 0] = activity[0:8, 1] = True
    events = activity_to_events(activity, 0.5, ["x", "y"], filename="f.wav")
    assert events == [(0.0, 4.0, "y", "f.wav"), (0.5, 1.5, "x", "f.wav"), (2.5, 4.0, "x", "f.wav")]


def test_decode_then_targets_round_trip():
    classes = ["a", "b"]
    events = [(0.4, 1.2, "a"), (2.0, 2.8, "b")]
    targets = frame_targets(events, 40, 0.08, classes)
    decoded = decode_events(targets * 0.98 + 0.01, 0.08, classes)
    assert [(round(on, 2), round(off, 2), label) for on, off, label, _ in decoded] == [
        (0.4, 1.2, "a"), (2.0, 2.8, "b")]
