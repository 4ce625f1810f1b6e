"""Our metrics against the reference packages (sed_eval, mir_eval) on random annotations.

PSDS is not here: psds_eval 0.5.3 (the latest) calls `DataFrame.fillna(method="ffill")`,
which pandas 3 removed, so it fails in this project's environment.
"""

import math

import numpy as np
import pytest

from keras_audio_ssl.evaluation import chroma_accuracy
from keras_audio_ssl.evaluation import event_f_measure
from keras_audio_ssl.evaluation import onset_f_measure
from keras_audio_ssl.evaluation import pitch_accuracy
from keras_audio_ssl.evaluation import segment_metrics

LABELS = ["cat", "dog", "speech"]


def _random_annotations(rng, files=4, per_file=8):
    """Millisecond-rounded events, and estimates that are copies jittered by up to +-300 ms
    (some exactly on the 200 ms collar), plus extra and missing events."""
    reference, estimated = [], []
    for f in range(files):
        name = f"clip{f}.wav"
        for _ in range(per_file):
            onset = round(float(rng.uniform(0, 9)), 3)
            offset = round(onset + float(rng.uniform(0.05, 2.5)), 3)
            label = str(rng.choice(LABELS))
            reference.append((onset, offset, label, name))
            if rng.random() < 0.2:
                continue  # missed
            shift = float(rng.choice([0.2, -0.2, 0.0])) if rng.random() < 0.4 else float(rng.uniform(-0.3, 0.3))
            stretch = float(rng.uniform(-0.4, 0.4))
            est_label = label if rng.random() < 0.85 else str(rng.choice(LABELS))
            est_onset = round(max(0.0, onset + shift), 3)
            estimated.append((est_onset, round(max(est_onset, offset + shift + stretch), 3), est_label, name))
        for _ in range(2):  # insertions
            onset = round(float(rng.uniform(0, 9)), 3)
            estimated.append((onset, round(onset + float(rng.uniform(0.1, 1)), 3), str(rng.choice(LABELS)), name))
    return reference, estimated


def _dicts(events):
    return [{"filename": f, "event_label": l, "onset": a, "offset": b} for a, b, l, f in events]


def _by_file(events):
    files = sorted({e[3] for e in events})
    return {f: [e for e in events if e[3] == f] for f in files}


def _same(ours, theirs):
    if isinstance(theirs, float) and math.isnan(theirs):
        return math.isnan(ours)
    return ours == pytest.approx(theirs, abs=1e-12)


@pytest.fixture(scope="module")
def sed_eval():
    return pytest.importorskip("sed_eval", reason="sed_eval is in the dev extras: pip install -e '.[dev]'")


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("offsets", [False, True])
def test_event_based_equals_sed_eval(sed_eval, seed, offsets):
    reference, estimated = _random_annotations(np.random.default_rng(seed))
    metric = sed_eval.sound_event.EventBasedMetrics(LABELS, evaluate_onset=True, evaluate_offset=offsets,
                                                    t_collar=0.2, percentage_of_length=0.5)
    ref_files, est_files = _by_file(reference), _by_file(estimated)
    for name in ref_files:
        metric.evaluate(_dicts(ref_files[name]), _dicts(est_files.get(name, [])))
    ours = (event_f_measure if offsets else onset_f_measure)(reference, estimated)
    theirs = metric.results()
    assert _same(ours["f_measure"], theirs["overall"]["f_measure"]["f_measure"])
    assert _same(ours["precision"], theirs["overall"]["f_measure"]["precision"])
    assert _same(ours["recall"], theirs["overall"]["f_measure"]["recall"])
    for label in LABELS:
        assert _same(ours["class_wise_f_measure"].get(label, 0.0), theirs["class_wise"][label]["f_measure"]["f_measure"])


def test_collar_without_slack_as_sed_eval(sed_eval):
    # The case: |1.843 - 2.043| = 0.2000000000000002 > 0.2 for sed_eval.
    reference, estimated = [(1.843, 3.0, "x")], [(2.043, 3.0, "x")]
    metric = sed_eval.sound_event.EventBasedMetrics(["x"], evaluate_offset=False, t_collar=0.2)
    metric.evaluate(_dicts([e + ("a",) for e in reference]), _dicts([e + ("a",) for e in estimated]))
    assert metric.results()["overall"]["f_measure"]["f_measure"] == 0.0
    assert onset_f_measure(reference, estimated)["f_measure"] == 0.0
    assert event_f_measure(reference, estimated)["f_measure"] == 0.0


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("resolution", [1.0, 0.25])
def test_segment_based_equals_sed_eval(sed_eval, seed, resolution):
    reference, estimated = _random_annotations(np.random.default_rng(100 + seed))
    metric = sed_eval.sound_event.SegmentBasedMetrics(LABELS, time_resolution=resolution)
    ref_files, est_files = _by_file(reference), _by_file(estimated)
    for name in ref_files:
        metric.evaluate(_dicts(ref_files[name]), _dicts(est_files.get(name, [])))
    ours = segment_metrics(reference, estimated, time_resolution=resolution, labels=LABELS)
    theirs = metric.results()["overall"]
    for key in ("f_measure", "precision", "recall"):
        assert _same(ours[key], theirs["f_measure"][key]), key
    for key in ("error_rate", "substitution_rate", "deletion_rate", "insertion_rate"):
        assert _same(ours[key], theirs["error_rate"][key]), key
    class_wise = metric.results()["class_wise"]
    for label in LABELS:
        assert _same(ours["class_wise_f_measure"][label], class_wise[label]["f_measure"]["f_measure"]), label


def test_segment_metrics_by_hand():
    # 2 s of "dog" against 0.5 s: segment 0 TP, segment 1 a deletion -> ER 1/2, F1 2/3.
    result = segment_metrics([(0.0, 2.0, "dog")], [(0.5, 1.0, "dog")])
    assert result["error_rate"] == pytest.approx(0.5) and result["f_measure"] == pytest.approx(2 / 3)
    # Right time, wrong class: one substitution per segment.
    result = segment_metrics([(0.0, 1.0, "dog")], [(0.0, 1.0, "cat")])
    assert result["substitution_rate"] == pytest.approx(1.0) and result["f_measure"] == 0.0
    with pytest.raises(ValueError, match="unknown=\\['cat'\\]"):
        segment_metrics([(0.0, 1.0, "dog")], [(0.0, 1.0, "cat")], labels=["dog"])


@pytest.mark.parametrize("seed", range(4))
def test_pitch_and_chroma_accuracy_equal_mir_eval(seed):
    melody = pytest.importorskip("mir_eval.melody", reason="mir_eval is in the dev extras: pip install -e '.[dev]'")
    rng = np.random.default_rng(seed)
    times = np.arange(400) * 0.01
    reference = 440.0 * 2.0 ** rng.uniform(-2, 2, times.shape)
    reference[rng.random(times.shape) < 0.2] = 0.0  # unvoiced frames
    # Estimates: near (within +-80 cents), octave errors, or unvoiced.
    cents = rng.uniform(-80, 80, times.shape) + 1200 * rng.choice([0, 0, 1, -1], times.shape)
    estimated = reference * 2.0 ** (cents / 1200)
    estimated[reference == 0] = 440.0
    estimated[rng.random(times.shape) < 0.1] = 0.0
    ref_v, ref_c, est_v, est_c = melody.to_cent_voicing(times, reference, times, estimated)
    assert pitch_accuracy(reference, estimated) == pytest.approx(melody.raw_pitch_accuracy(ref_v, ref_c, est_v, est_c))
    assert chroma_accuracy(reference, estimated) == pytest.approx(melody.raw_chroma_accuracy(ref_v, ref_c, est_v, est_c))

