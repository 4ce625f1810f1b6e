"""Segment-based metrics for sound event detection, equal to sed_eval's `SegmentBasedMetrics`.

Mesaros et al., "Metrics for polyphonic sound event detection" (2016): each file
is cut into segments of `time_resolution` seconds (1 s: HEAR's `segment_1s_er`
and `segment_1s_f1`); a class is active in a segment when one of its events
overlaps it (onset floored, offset ceiled to the grid). A file is evaluated up
to its latest offset among references and estimates. Per segment, with `Nref`
and `Nsys` active classes and `TP` of them in both:

    S = min(Nref, Nsys) - TP,  D = max(0, Nref - Nsys),  I = max(0, Nsys - Nref)

summed over segments and files; `ER = (S + D + I) / Nref`, and the micro F1
from the TP / FP / FN counts of (segment, class) pairs. As in sed_eval,
precision (recall) is NaN when nothing was estimated (referenced).
"""

import collections
import math

import numpy as np

from keras_audio_ssl.evaluation.event_metrics import _as_events

_EPS = np.spacing(1)  # sed_eval divides by Nref + eps


def _roll(events, labels, resolution, length):
    # sed_eval's event roll: floor(onset / res) to ceil(offset / res), per label column.
    roll = np.zeros((length, len(labels)), dtype=np.int64)
    for label, onset, offset in events:
        roll[int(math.floor(onset * 1 / float(resolution))) : int(math.ceil(offset * 1 / float(resolution))),
             labels.index(label)] = 1
    return roll


def _rate(count, total):
    return float(count / float(total)) if total else float("nan")


def _f(precision, recall):
    if precision == 0 and recall == 0:
        return 0.0
    return float(2 * precision * recall / (precision + recall))


def segment_metrics(reference_events, estimated_events, time_resolution=1.0, labels=None):
    """Segment-based F1 and error rate over `time_resolution`-second segments (sed_eval's).

    Args:
        reference_events: iterable of `(onset, offset, label[, filename])` tuples
            or dicts (as `event_f_measure` takes), times in seconds.
        estimated_events: same format.
        time_resolution: segment length in seconds (HEAR and DCASE: 1.0).
        labels: the classes evaluated; default: every label among the events.
            Events of other labels are an error.

    Returns:
        dict with `f_measure`, `precision`, `recall`, `error_rate`,
        `substitution_rate`, `deletion_rate`, `insertion_rate` (overall) and
        `class_wise_f_measure` (label -> F1 over that class's segments).

    Example:
    >>> segment_metrics([(0.0, 2.0, "dog")], [(0.5, 1.0, "dog")])["error_rate"]
    0.5
    """
    if isinstance(time_resolution, bool) or not time_resolution > 0:
        raise ValueError(f"`time_resolution` must be a positive number of seconds. Received: time_resolution={time_resolution!r}")
    reference = _as_events(reference_events, "reference_events")
    estimated = _as_events(estimated_events, "estimated_events")
    present = sorted({event[1] for event in reference + estimated})
    labels = present if labels is None else [str(label) for label in labels]
    unknown = sorted(set(present) - set(labels))
    if unknown:
        raise ValueError(f"Events with labels outside `labels`. Received: labels={labels}, unknown={unknown}")
    by_file = collections.defaultdict(lambda: ([], []))
    for side, events in enumerate((reference, estimated)):
        for filename, label, onset, offset in events:
            by_file[filename][side].append((label, onset, offset))

    overall = collections.Counter()
    per_class = np.zeros((len(labels), 3))  # tp, nsys, nref
    for ref, est in by_file.values():
        length_seconds = max(offset for _, _, offset in ref + est)
        length = int(math.ceil(length_seconds * 1 / float(time_resolution)))
        ref_roll = _roll(ref, labels, time_resolution, length)
        est_roll = _roll(est, labels, time_resolution, length)
        tp = (ref_roll & est_roll).sum(axis=1)
        n_ref, n_sys = ref_roll.sum(axis=1), est_roll.sum(axis=1)
        overall.update({
            "tp": int(tp.sum()), "ref": int(n_ref.sum()), "sys": int(n_sys.sum()),
            "S": int((np.minimum(n_ref, n_sys) - tp).sum()),
            "D": int(np.maximum(0, n_ref - n_sys).sum()), "I": int(np.maximum(0, n_sys - n_ref).sum()),
        })
        per_class += np.stack([(ref_roll & est_roll).sum(axis=0), est_roll.sum(axis=0), ref_roll.sum(axis=0)], axis=1)

    precision = _rate(overall["tp"], overall["sys"])
    recall = _rate(overall["tp"], overall["ref"])
    rates = {key: float(overall[key] / (overall["ref"] + _EPS)) for key in ("S", "D", "I")}
    return {
        "f_measure": _f(precision, recall),
        "precision": precision,
        "recall": recall,
        "error_rate": float(rates["S"] + rates["D"] + rates["I"]),
        "substitution_rate": rates["S"],
        "deletion_rate": rates["D"],
        "insertion_rate": rates["I"],
        "class_wise_f_measure": {
            label: _f(_rate(tp, n_sys), _rate(tp, n_ref)) for label, (tp, n_sys, n_ref) in zip(labels, per_class)
        },
    }
