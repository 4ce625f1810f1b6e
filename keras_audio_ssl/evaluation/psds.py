"""Polyphonic Sound Detection Score (PSDS), equal to `psds_eval` 0.5.3's `PSDSEval.psds`.

Bilen et al., "A Framework for the Robust Evaluation of Sound Event Detection"
(ICASSP 2020). A system is run at several operating points (e.g. decision
thresholds); each gives per class a true positive ratio (TPR), a false positive
rate (FPR, per `duration_unit` of audio) and cross-trigger rates (CTR):

- a detection passes the detection tolerance criterion (DTC) when at least
  `dtc_threshold` of it lies on ground truth events of its class;
- a ground truth event is detected when DTC-passing detections of its class cover
  at least `gtc_threshold` of it (GTC);
- a detection that fails the DTC is a false positive for its class, and a
  cross-trigger on a class whose events hold at least `cttc_threshold` of it.

Per class the TPR against the effective FPR (`FPR + alpha_ct * mean CTR`) is a
staircase kept non-decreasing; PSDS is the area under `mean - alpha_st * std`
over classes up to `max_efpr`, divided by `max_efpr`. DCASE's settings are
`PSDS1` and `PSDS2`.

psds_eval computes this with pandas and fails under pandas 3 (it calls
`fillna(method=)`); this is the same computation in NumPy, checked against it by
`tests/evaluation/test_psds_parity.py`. One difference: with a single class
psds_eval's effective FPR is NaN (a mean over no other class); here it is the FPR.
"""

import collections

import numpy as np

from keras_audio_ssl.evaluation.event_metrics import _as_events

#: DCASE 2021-2023 task 4 scenarios (psds_eval's defaults are dtc = gtc = 0.5, cttc = 0.3, alphas 0).
PSDS1 = dict(dtc_threshold=0.7, gtc_threshold=0.7, cttc_threshold=0.3, alpha_ct=0.0, alpha_st=1.0, max_efpr=100.0)
PSDS2 = dict(dtc_threshold=0.1, gtc_threshold=0.1, cttc_threshold=0.3, alpha_ct=0.5, alpha_st=1.0, max_efpr=100.0)
SECONDS_PER_UNIT = {"minute": 60, "hour": 3600, "day": 24 * 3600, "month": 30 * 24 * 3600, "year": 365 * 24 * 3600}
_WORLD = None  # the whole-file "event" every detection is checked against for false positives


def _by_file(events, name):
    """file -> list of (onset, offset, label), zero-length events dropped; same-class overlaps refused."""
    files = collections.defaultdict(list)
    for filename, label, onset, offset in _as_events(events, name):
        if offset > onset:
            files[filename].append((onset, offset, str(label)))
    for filename, rows in files.items():
        for i, (a_on, a_off, a_label) in enumerate(rows):
            for b_on, b_off, b_label in rows[i + 1:]:
                if a_label == b_label and a_on < b_off and b_on < a_off and (a_on, a_off) != (b_on, b_off):
                    raise ValueError(f"`{name}` has overlapping {a_label!r} events in {filename!r}; merge them. "
                                     f"Received: ({a_on}, {a_off}) and ({b_on}, {b_off})")
    return files


def _rates(truth, detections, classes, counts, durations, dataset_seconds, thresholds, unit_seconds):
    """(TPR [C], FPR [C], CTR [C, C]) of one operating point."""
    dtc, gtc, cttc = thresholds
    index = {c: i for i, c in enumerate(classes)}
    true_positives = np.zeros(len(classes))
    cross = collections.Counter()  # (detection class, ground truth class or _WORLD) -> detections
    for filename, dets in detections.items():
        gts = truth.get(filename, [])
        overlap = [[max(0.0, min(d_off, g_off) - max(d_on, g_on)) if d_on < g_off and g_on < d_off else None
                    for g_on, g_off, _ in gts] for d_on, d_off, _ in dets]
        passes_dtc = [sum(o / (d[1] - d[0]) for o, g in zip(row, gts) if o is not None and g[2] == d[2]) >= dtc
                      and any(o is not None and g[2] == d[2] for o, g in zip(row, gts))
                      for d, row in zip(dets, overlap)]
        for j, (g_on, g_off, g_label) in enumerate(gts):
            hits = [overlap[i][j] for i, d in enumerate(dets)
                    if passes_dtc[i] and d[2] == g_label and overlap[i][j] is not None]
            if g_label is not _WORLD and hits and sum(h / (g_off - g_on) for h in hits) >= gtc:
                true_positives[index[g_label]] += 1
        for i, (d_on, d_off, d_label) in enumerate(dets):
            if passes_dtc[i]:
                continue
            share = collections.defaultdict(float)  # ground truth class -> fraction of the detection on it
            for o, (_, _, g_label) in zip(overlap[i], gts):
                if o is not None and g_label != d_label:
                    share[g_label] += o / (d_off - d_on)
            for g_label, fraction in share.items():
                if g_label is _WORLD or fraction >= cttc:
                    cross[d_label, g_label] += 1
    tpr = true_positives / np.array([counts[c] for c in classes], dtype=float)
    fpr = np.array([cross[c, _WORLD] * unit_seconds / dataset_seconds for c in classes])
    ctr = np.full((len(classes), len(classes)), np.nan)
    for i, c in enumerate(classes):
        for k, other in enumerate(classes):
            if i != k:
                ctr[i, k] = cross[c, other] * unit_seconds / durations[other]
    return tpr, fpr, ctr


def _staircase(points, x, y):
    """y of the non-decreasing staircase through (x, y) at each of `points` (a superset of x); 0 before x."""
    xs = np.unique(x)
    best = np.array([y[x == v].max() for v in xs])
    best = np.maximum.accumulate(best)
    at = np.searchsorted(xs, points, side="right") - 1
    return np.where(at >= 0, best[np.maximum(at, 0)], 0.0)


def _area(x, y, max_x):
    """Area under the staircase (x, y) up to `max_x`: sums of rectangles, as psds_eval."""
    if max_x not in x:
        at = int(np.searchsorted(x, max_x))
        x = np.insert(x, at, max_x)
        y = np.insert(y, at, y[at - 1])
    keep = x <= max_x
    return float(np.sum(np.diff(x[keep]) * y[keep][:-1]))


def psd_roc(ground_truth, operating_points, durations, *, dtc_threshold=0.5, gtc_threshold=0.5, cttc_threshold=0.3,
            alpha_ct=0.0, duration_unit="hour"):
    """Per-class PSD-ROC: `(efpr_points [P], tpr [C, P], classes)`, the staircases on a common axis."""
    if not 0 <= dtc_threshold <= 1 or not 0 <= gtc_threshold <= 1 or not 0 <= cttc_threshold <= 1:
        raise ValueError(f"PSDS thresholds must lie in [0, 1]. Received: dtc_threshold={dtc_threshold}, "
                         f"gtc_threshold={gtc_threshold}, cttc_threshold={cttc_threshold}")
    if not 0 <= alpha_ct <= 1:
        raise ValueError(f"alpha_ct must lie in [0, 1]. Received: alpha_ct={alpha_ct}")
    if duration_unit not in SECONDS_PER_UNIT:
        raise ValueError(f"duration_unit must be one of {sorted(SECONDS_PER_UNIT)}. Received: {duration_unit!r}")
    truth = _by_file(ground_truth, "ground_truth")
    classes = sorted({label for rows in truth.values() for _, _, label in rows})
    if not classes:
        raise ValueError("PSDS needs ground truth events. Received: no event with offset > onset")
    counts = collections.Counter(label for rows in truth.values() for _, _, label in rows)
    seconds = collections.defaultdict(float)
    for rows in truth.values():
        for onset, offset, label in rows:
            seconds[label] += offset - onset
    for filename, duration in durations.items():
        if duration > 0:
            truth.setdefault(filename, []).append((0.0, float(duration), _WORLD))
    dataset_seconds = float(sum(d for d in durations.values() if d > 0))
    thresholds = (dtc_threshold, gtc_threshold, cttc_threshold)
    rates = [_rates(truth, _by_file(op, f"operating_points[{i}]"), classes, counts, seconds, dataset_seconds,
                    thresholds, SECONDS_PER_UNIT[duration_unit]) for i, op in enumerate(operating_points)]
    # psds_eval adds the operating point that detects nothing: TPR = FPR = CTR = 0.
    tpr = np.stack([r[0] for r in rates] + [np.zeros(len(classes))], axis=1)
    fpr = np.stack([r[1] for r in rates] + [np.zeros(len(classes))], axis=1)
    if len(classes) > 1 and alpha_ct:
        ctr = np.stack([r[2] for r in rates] + [np.zeros((len(classes), len(classes)))], axis=2)
        fpr = fpr + alpha_ct * np.nanmean(ctr, axis=1)
    points = np.unique(fpr)
    return points, np.stack([_staircase(points, fpr[c], tpr[c]) for c in range(len(classes))]), classes


def psds(ground_truth, operating_points, durations, *, dtc_threshold=0.5, gtc_threshold=0.5, cttc_threshold=0.3,
         alpha_ct=0.0, alpha_st=0.0, max_efpr=None, duration_unit="hour"):
    """The PSDS of a system's detections at several operating points (psds_eval's `PSDSEval.psds(...).value`).

    Args:
        ground_truth: `(onset, offset, label, filename)` tuples or dicts (as
            `event_f_measure` takes), seconds; events of one class in one file must not overlap.
        operating_points: one such list of detections per operating point.
        durations: filename -> duration in seconds of every evaluated file (the
            false positive rates are per `duration_unit` of this audio).
        dtc_threshold, gtc_threshold, cttc_threshold: the criteria above.
        alpha_ct: weight of cross-triggers in the effective FPR.
        alpha_st: weight of the across-class standard deviation subtracted from the mean TPR.
        max_efpr: the effective FPR the area stops at (default: the largest reached).
        duration_unit: "minute", "hour" (default), "day", "month" or "year".

    Returns:
        float in [0, 1].

    Example: one operating point finds both events and adds a false "dog" (360 per hour
    of audio); "cat" reaches TPR 1 at eFPR 0, "dog" only at 360: the mean is 0.5 then 1.

    >>> truth = [(1.0, 3.0, "dog", "a.wav"), (5.0, 6.0, "cat", "a.wav")]
    >>> psds(truth, [truth + [(8.0, 9.0, "dog", "a.wav")]], {"a.wav": 10.0})
    0.5
    """
    if alpha_st < 0:
        raise ValueError(f"alpha_st must not be negative. Received: alpha_st={alpha_st}")
    points, tpr, _ = psd_roc(ground_truth, operating_points, durations, dtc_threshold=dtc_threshold,
                             gtc_threshold=gtc_threshold, cttc_threshold=cttc_threshold, alpha_ct=alpha_ct,
                             duration_unit=duration_unit)
    effective = np.clip(np.nan_to_num(tpr.mean(axis=0) - alpha_st * tpr.std(axis=0), nan=0.0), 0.0, None)
    max_efpr = float(points.max()) if max_efpr is None else float(max_efpr)
    if not max_efpr > 0:
        raise ValueError(f"max_efpr must be positive (no operating point has a false positive). Received: {max_efpr}")
    return _area(points, effective, max_efpr) / max_efpr
