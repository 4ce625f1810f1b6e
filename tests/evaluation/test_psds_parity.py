"""`psds` equals psds_eval 0.5.3's PSDS on random annotations.

psds_eval calls pandas' `fillna(method=)`, which pandas 3 removed, so the
reference runs where pandas < 3 is installed: in this process if it is, else in
`.venv-heareval` (heareval's environment, which pins pandas < 3; built once, see
tests/heareval_venv.py). Building that environment makes the test `large`.
"""

import json
import subprocess

import numpy as np
import pytest

from keras_audio_ssl.evaluation.psds import PSDS1
from keras_audio_ssl.evaluation.psds import PSDS2
from keras_audio_ssl.evaluation.psds import psds
from tests.heareval_venv import heareval_python

pytestmark = pytest.mark.large

SETTINGS = [
    dict(dtc_threshold=0.5, gtc_threshold=0.5, cttc_threshold=0.3, alpha_ct=0.0, alpha_st=0.0, max_efpr=None),
    PSDS1,
    PSDS2,
    dict(dtc_threshold=0.3, gtc_threshold=0.6, cttc_threshold=0.1, alpha_ct=1.0, alpha_st=0.5, max_efpr=None,
         duration_unit="minute"),
]

REFERENCE = r"""
import json, sys, warnings
import pandas as pd
from psds_eval import PSDSEval
warnings.simplefilter("ignore")
data = json.load(sys.stdin)
columns = ["onset", "offset", "event_label", "filename"]
truth = pd.DataFrame(data["truth"], columns=columns)
metadata = pd.DataFrame(sorted(data["durations"].items()), columns=["filename", "duration"])
values = []
for s in data["settings"]:
    evaluation = PSDSEval(s["dtc_threshold"], s["gtc_threshold"], s["cttc_threshold"], ground_truth=truth,
                          metadata=metadata, duration_unit=s.get("duration_unit", "hour"))
    for op in data["operating_points"]:
        evaluation.add_operating_point(pd.DataFrame(op, columns=columns))
    values.append(float(evaluation.psds(s["alpha_ct"], s["alpha_st"], s["max_efpr"]).value))
print(json.dumps(values))
"""


def _merged(intervals):
    """Non-overlapping intervals (psds_eval refuses overlapping events of one class in one file)."""
    out = []
    for onset, offset in sorted(intervals):
        if out and onset < out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], offset))
        else:
            out.append((onset, offset))
    return out


def random_annotations(seed, classes=("bell", "dog", "speech"), files=5, operating_points=7):
    """Ground truth, durations and a system's detections at increasing thresholds (fewer detections each)."""
    rng = np.random.default_rng(seed)
    durations = {f"clip{i}.wav": float(np.round(rng.uniform(8.0, 20.0), 3)) for i in range(files)}
    truth = []
    for name, seconds in durations.items():
        for label in classes:
            bounds = np.round(np.sort(rng.uniform(0.0, seconds, 2 * rng.integers(0, 4))), 3)
            truth += [(float(a), float(b), label, name) for a, b in _merged(zip(bounds[::2], bounds[1::2])) if b > a]
    points = []
    for threshold in np.linspace(0.1, 0.9, operating_points):
        by_class = {}
        for onset, offset, label, name in truth:
            if rng.uniform() > 0.6 * threshold:  # found, with jittered boundaries, sometimes as another class
                shown = label if rng.uniform() > 0.15 else str(rng.choice(classes))
                jitter = rng.normal(0.0, 0.3, 2)
                by_class.setdefault((name, shown), []).append((max(0.0, onset + jitter[0]), offset + jitter[1]))
        for _ in range(int(rng.poisson(8 * (1.0 - threshold)))):  # false alarms
            name = str(rng.choice(list(durations)))
            onset = rng.uniform(0.0, durations[name])
            by_class.setdefault((name, str(rng.choice(classes))), []).append((onset, onset + rng.uniform(0.1, 2.0)))
        points.append([(round(float(a), 3), round(float(b), 3), label, name)
                       for (name, label), spans in by_class.items() for a, b in _merged(spans) if round(b, 3) > round(a, 3)])
    return truth, durations, points


def _reference(truth, durations, points):
    payload = json.dumps({"truth": truth, "durations": durations, "operating_points": points, "settings": SETTINGS})
    try:
        import pandas
        import psds_eval  # noqa: F401

        in_process = int(pandas.__version__.split(".")[0]) < 3
    except ImportError:
        in_process = False
    python = __import__("sys").executable if in_process else heareval_python()
    proc = subprocess.run([python, "-c", REFERENCE], input=payload, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_psds_equals_psds_eval(seed):
    truth, durations, points = random_annotations(seed)
    expected = _reference(truth, durations, points)
    ours = [psds(truth, points, durations, **s) for s in SETTINGS]
    assert len({round(v, 6) for v in ours}) > 1  # the settings give different scores: a real comparison
    np.testing.assert_allclose(ours, expected, rtol=0, atol=1e-9)
