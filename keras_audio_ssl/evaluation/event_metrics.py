"""DCASE event-based metrics for sound event detection.

Follows Mesaros et al., "Metrics for polyphonic sound event detection" (2016) and
sed_eval's `EventBasedMetrics`: an estimated event is a true positive when a
reference event of the same class in the same file has its onset within `t_collar`
seconds (200 ms in DCASE; compared on the floats as given, with no slack, as
sed_eval does) and, when offsets are evaluated, its offset within
max(`t_collar`, `percentage_of_length` x the reference event's length). Each
reference event matches at most one estimate; the matching per file and class is a
maximum bipartite matching, so the count does not depend on the order of the lists.
The F-measure is micro-averaged over all events, F = 2 TP / (2 TP + FP + FN), and
also given per class and as the mean of the class-wise F-measures (macro).

`onset_f_measure` is the onset-only evaluation DCASE 2016 task 2 reports;
`event_f_measure` also checks offsets.
"""

import collections

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import maximum_bipartite_matching


def _as_events(events, name):
    """Normalises events to tuples (filename, label, onset, offset)."""
    normalised = []
    for i, event in enumerate(events):
        if isinstance(event, dict):
            label = event.get("event_label", event.get("label"))
            onset = event.get("onset")
            offset = event.get("offset", onset)
            filename = event.get("filename", event.get("file", ""))
        else:
            event = tuple(event)
            if len(event) not in (3, 4):
                raise ValueError(
                    f"Each event of `{name}` must be (onset, offset, label[, filename]) or a dict. "
                    f"Received: {name}[{i}]={event!r}"
                )
            onset, offset, label = event[:3]
            filename = event[3] if len(event) == 4 else ""
        if label is None or onset is None:
            raise ValueError(f"Event without label or onset in `{name}`. Received: {name}[{i}]={event!r}")
        onset = float(onset)
        offset = float(offset)
        if not np.isfinite(onset) or offset < onset:
            raise ValueError(
                f"Event onset must be finite and not after its offset in `{name}`. Received: {name}[{i}]={event!r}"
            )
        normalised.append((str(filename), str(label), onset, offset))
    return normalised


def _count_matches(reference, estimated, t_collar, offset_collar_fraction):
    """Matched pairs among `(onset, offset)` lists; offsets count when the fraction is not None."""
    if not reference or not estimated:
        return 0
    ref = np.asarray(reference, dtype=np.float64)
    est = np.asarray(estimated, dtype=np.float64)
    # No slack, as sed_eval: |1.843 - 2.043| = 0.2000000000000002 is outside a 0.2 s collar.
    close = np.abs(ref[:, None, 0] - est[None, :, 0]) <= t_collar
    if offset_collar_fraction is not None:
        offset_collar = np.maximum(t_collar, offset_collar_fraction * (ref[:, 1] - ref[:, 0]))
        close &= np.abs(ref[:, None, 1] - est[None, :, 1]) <= offset_collar[:, None]
    matching = maximum_bipartite_matching(csr_matrix(close.astype(np.int8)), perm_type="column")
    return int(np.sum(matching >= 0))


def _f_score(tp, fp, fn):
    return 2 * tp / (2 * tp + fp + fn) if (2 * tp + fp + fn) else 0.0


def _event_metrics(reference_events, estimated_events, t_collar, offset_collar_fraction):
    if t_collar < 0:
        raise ValueError(f"`t_collar` must be >= 0 seconds. Received: t_collar={t_collar}")
    reference = _as_events(reference_events, "reference_events")
    estimated = _as_events(estimated_events, "estimated_events")
    ref_groups = collections.defaultdict(list)
    est_groups = collections.defaultdict(list)
    for filename, label, onset, offset in reference:
        ref_groups[(filename, label)].append((onset, offset))
    for filename, label, onset, offset in estimated:
        est_groups[(filename, label)].append((onset, offset))

    per_class = collections.defaultdict(lambda: [0, 0, 0])  # tp, fp, fn
    for key in set(ref_groups) | set(est_groups):
        ref, est = ref_groups.get(key, []), est_groups.get(key, [])
        tp = _count_matches(ref, est, t_collar, offset_collar_fraction)
        counts = per_class[key[1]]
        counts[0] += tp
        counts[1] += len(est) - tp
        counts[2] += len(ref) - tp

    tp = sum(c[0] for c in per_class.values())
    fp = sum(c[1] for c in per_class.values())
    fn = sum(c[2] for c in per_class.values())
    class_wise = {label: float(_f_score(*c)) for label, c in sorted(per_class.items())}
    return {
        "f_measure": float(_f_score(tp, fp, fn)),
        "precision": float(tp / (tp + fp)) if tp + fp else 0.0,
        "recall": float(tp / (tp + fn)) if tp + fn else 0.0,
        "true_positives": tp,
        "false_positives": fp,
        "false_negatives": fn,
        "class_wise_f_measure": class_wise,
        "macro_f_measure": float(np.mean(list(class_wise.values()))) if class_wise else 0.0,
    }


def onset_f_measure(reference_events, estimated_events, t_collar=0.2):
    """Event-based, onset-only F-measure with class-wise matching (DCASE 2016 task 2).

    Args:
        reference_events: iterable of `(onset, offset, label[, filename])` tuples or
            dicts with keys `onset`, `offset`, `event_label` (or `label`), `filename`.
            Times in seconds.
        estimated_events: same format.
        t_collar: onset tolerance in seconds (DCASE: 0.2).

    Returns:
        dict with `f_measure`, `precision`, `recall` (micro), `true_positives`,
        `false_positives`, `false_negatives`, `class_wise_f_measure` (label -> F of
        that class, for every class among the references or estimates) and
        `macro_f_measure` (their mean).

    Example:
    >>> ref = [(0.0, 1.0, "dog"), (2.0, 3.0, "cat")]
    >>> est = [(0.1, 0.9, "dog"), (2.5, 3.0, "cat")]
    >>> onset_f_measure(ref, est)["f_measure"]
    0.5
    """
    return _event_metrics(reference_events, estimated_events, t_collar, None)


def event_f_measure(reference_events, estimated_events, t_collar=0.2, percentage_of_length=0.5):
    """Event-based F-measure on onsets and offsets (sed_eval's default event-based metric).

    An estimate matches when its onset is within `t_collar` of the reference's and its
    offset within max(`t_collar`, `percentage_of_length` x the reference's length).
    Same arguments and result as `onset_f_measure`.

    Example:
    >>> ref = [(0.0, 1.0, "dog")]
    >>> event_f_measure(ref, [(0.1, 1.4, "dog")])["f_measure"], event_f_measure(ref, [(0.1, 1.6, "dog")])["f_measure"]
    (1.0, 0.0)
    """
    if percentage_of_length < 0:
        raise ValueError(f"`percentage_of_length` must be >= 0. Received: percentage_of_length={percentage_of_length}")
    return _event_metrics(reference_events, estimated_events, t_collar, float(percentage_of_length))
