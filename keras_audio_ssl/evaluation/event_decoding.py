"""Between events and frames: strong labels as frame targets, frame probabilities as events.

A frame-level output `[T', C]` has one row per encoder frame; frame `i` starts at
`i * frame_seconds` (the log-mel frames are centred on multiples of the hop, and the
encoder groups `frame_seconds / hop` of them). Decoding follows the DCASE baselines:
threshold each class's probability, smooth the binary activity with a median filter
over time, and turn each run of active frames into one event.
"""

import numpy as np
import scipy.ndimage

# Defaults of the decoding (DCASE baselines: threshold 0.5, a median filter of a few
# hundred milliseconds that removes one-frame blips and fills one-frame gaps).
DEFAULT_THRESHOLD = 0.5
DEFAULT_MEDIAN_SECONDS = 0.25


def _check_frame_seconds(frame_seconds):
    if not frame_seconds > 0:
        raise ValueError(f"`frame_seconds` must be > 0. Received: frame_seconds={frame_seconds}")


def frame_targets(events, n_frames, frame_seconds, classes):
    """Multi-hot frame targets `[n_frames, C]` from `(onset, offset, label)` events of one clip.

    A frame is active for a class when the event covers at least half of the frame, or
    half of the event lies in the frame (so an event shorter than a frame still marks
    the frame it falls in). Labels outside `classes` raise.
    """
    _check_frame_seconds(frame_seconds)
    index = {c: i for i, c in enumerate(classes)}
    targets = np.zeros((int(n_frames), len(classes)), dtype=np.float32)
    starts = np.arange(int(n_frames)) * frame_seconds
    for onset, offset, label in events:
        if label not in index:
            raise ValueError(f"Event label {label!r} is not one of the classes {list(classes)}. Received: {label!r}")
        overlap = np.clip(np.minimum(starts + frame_seconds, offset) - np.maximum(starts, onset), 0.0, None)
        needed = 0.5 * min(frame_seconds, max(offset - onset, 1e-9))
        targets[overlap >= needed - 1e-9, index[label]] = 1.0
    return targets


def median_filter_frames(median_seconds, frame_seconds):
    """The median filter's length in frames: odd, at least 1."""
    _check_frame_seconds(frame_seconds)
    if median_seconds is None or median_seconds <= 0:
        return 1
    frames = int(round(median_seconds / frame_seconds))
    return max(1, frames if frames % 2 else frames + 1)


def binarize(probabilities, threshold=DEFAULT_THRESHOLD, median_frames=1):
    """Thresholded `[T', C]` activity, median-filtered over time per class."""
    probabilities = np.asarray(probabilities, dtype=np.float32)
    if probabilities.ndim != 2:
        raise ValueError(f"`probabilities` must be [frames, classes]. Received: shape={probabilities.shape}")
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"`threshold` must be in (0, 1). Received: threshold={threshold}")
    activity = probabilities > threshold
    if median_frames > 1:
        activity = scipy.ndimage.median_filter(activity.astype(np.uint8), size=(int(median_frames), 1),
                                               mode="nearest").astype(bool)
    return activity


def activity_to_events(activity, frame_seconds, classes, filename=""):
    """Events `(onset, offset, label, filename)`, one per run of active frames of a class."""
    _check_frame_seconds(frame_seconds)
    activity = np.asarray(activity, dtype=bool)
    events = []
    for c, label in enumerate(classes):
        padded = np.concatenate([[False], activity[:, c], [False]])
        changes = np.flatnonzero(padded[1:] != padded[:-1])
        for start, end in zip(changes[::2], changes[1::2]):
            events.append((float(start * frame_seconds), float(end * frame_seconds), label, filename))
    return sorted(events, key=lambda e: (e[0], e[2]))


def decode_events(probabilities, frame_seconds, classes, *, filename="", threshold=DEFAULT_THRESHOLD,
                  median_seconds=DEFAULT_MEDIAN_SECONDS):
    """Frame probabilities `[T', C]` -> events: threshold, median filter, runs of active frames.

    Example:
    >>> p = np.array([[0.1], [0.9], [0.8], [0.9], [0.2]])
    >>> decode_events(p, 0.1, ["dog"], median_seconds=0)
    [(0.1, 0.4, 'dog', '')]
    """
    activity = binarize(probabilities, threshold, median_filter_frames(median_seconds, frame_seconds))
    return activity_to_events(activity, frame_seconds, classes, filename)
