import pytest

from keras_audio_ssl.evaluation import onset_f_measure


def test_onset_f_measure_hand_made_events():
    reference = [
        (0.0, 1.0, "dog", "a.wav"),
        (2.0, 3.0, "dog", "a.wav"),
        (1.0, 1.5, "speech", "a.wav"),
        (0.5, 2.0, "car", "b.wav"),
    ]
    estimated = [
        (0.15, 0.9, "dog", "a.wav"),  # TP: onset 150 ms late, inside the 200 ms collar
        (2.3, 3.0, "dog", "a.wav"),  # FP: 300 ms late; its reference becomes a FN
        (1.0, 1.5, "car", "a.wav"),  # FP: right time, wrong class; "speech" is a FN
        (0.45, 0.6, "car", "b.wav"),  # TP: offset far off but only onsets count
        (0.5, 2.0, "car", "a.wav"),  # FP: right class and onset, wrong file
    ]
    result = onset_f_measure(reference, estimated)
    assert (result["true_positives"], result["false_positives"], result["false_negatives"]) == (2, 3, 2)
    assert result["f_measure"] == pytest.approx(2 * 2 / (2 * 2 + 3 + 2))
    assert result["precision"] == pytest.approx(2 / 5)
    assert result["recall"] == pytest.approx(2 / 4)
    assert result["class_wise_f_measure"]["dog"] == pytest.approx(2 * 1 / (2 + 1 + 1))
    assert result["class_wise_f_measure"]["speech"] == 0.0


def test_collar_is_inclusive_and_configurable():
    reference = [(1.0, 2.0, "x")]
    assert onset_f_measure(reference, [(1.2, 2.0, "x")])["f_measure"] == 1.0
    assert onset_f_measure(reference, [(1.2, 2.0, "x")], t_collar=0.1)["f_measure"] == 0.0


def test_each_reference_matches_one_estimate_optimally():
    # Greedy matching in list order would pair the 0.1 estimate with the 0.0
    # reference and leave the 0.25 reference unmatched; the optimal matching gets 2.
    reference = [(0.0, 1.0, "x"), (0.25, 1.0, "x")]
    estimated = [(0.1, 1.0, "x"), (-0.15, 1.0, "x"), (0.12, 1.0, "x")]
    result = onset_f_measure(reference, estimated)
    assert result["true_positives"] == 2
    assert result["false_positives"] == 1


def test_dict_events_and_empty_estimate():
    reference = [{"onset": 0.0, "offset": 1.0, "event_label": "a", "filename": "f"}]
    result = onset_f_measure(reference, [])
    assert result["f_measure"] == 0.0 and result["false_negatives"] == 1


def test_bad_event_raises():
    with pytest.raises(ValueError, match="reference_events"):
        onset_f_measure([(2.0, 1.0, "x")], [])


def test_event_f_measure_checks_offsets_with_the_length_dependent_collar():
    from keras_audio_ssl.evaluation import event_f_measure

    reference = [(0.0, 1.0, "dog"), (5.0, 9.0, "car")]
    # dog: offset collar max(0.2, 0.5 * 1.0) = 0.5 s; car: max(0.2, 0.5 * 4.0) = 2.0 s.
    estimated = [(0.1, 1.45, "dog"), (5.1, 10.9, "car")]
    assert event_f_measure(reference, estimated)["true_positives"] == 2
    estimated = [(0.1, 1.55, "dog"), (5.1, 11.1, "car")]
    result = event_f_measure(reference, estimated)
    assert (result["true_positives"], result["false_positives"], result["false_negatives"]) == (0, 2, 2)
    # The same estimates are all right on onsets alone.
    assert onset_f_measure(reference, estimated)["f_measure"] == 1.0
    # A fixed 200 ms offset collar when percentage_of_length is 0.
    assert event_f_measure(reference, [(0.0, 1.25, "dog")], percentage_of_length=0.0)["true_positives"] == 0


def test_macro_f_measure_is_the_mean_of_the_class_wise_scores():
    reference = [(0.0, 1.0, "a"), (2.0, 3.0, "a"), (0.0, 1.0, "b")]
    estimated = [(0.0, 1.0, "a"), (2.0, 3.0, "a")]
    result = onset_f_measure(reference, estimated)
    assert result["class_wise_f_measure"] == {"a": 1.0, "b": 0.0}
    assert result["macro_f_measure"] == pytest.approx(0.5)
    assert result["f_measure"] == pytest.approx(2 * 2 / (2 * 2 + 0 + 1))
