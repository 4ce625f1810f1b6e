"""Pitch metrics as in CREPE (Kim et al., 2018): raw pitch and raw chroma accuracy.

A frame's estimate is correct when it lies within 50 cents of the reference; chroma
accuracy folds octave errors (multiples of 1200 cents) before comparing. Only frames
whose reference is voiced (frequency > 0) count.
"""

import numpy as np


def hz_to_cents(frequency_hz, reference_hz=10.0):
    """Cents above `reference_hz` (CREPE measures pitch in cents above 10 Hz)."""
    frequency_hz = np.asarray(frequency_hz, dtype=np.float64)
    if np.any(frequency_hz <= 0):
        raise ValueError(
            "Frequencies must be positive to convert to cents. "
            f"Received: min(frequency_hz)={float(np.min(frequency_hz))}"
        )
    return 1200.0 * np.log2(frequency_hz / reference_hz)


def midi_to_hz(midi):
    """Frequency of a MIDI note number (A4 = 69 = 440 Hz)."""
    return 440.0 * 2.0 ** ((np.asarray(midi, dtype=np.float64) - 69.0) / 12.0)


def _cent_errors(reference_hz, estimated_hz):
    reference_hz = np.asarray(reference_hz, dtype=np.float64)
    estimated_hz = np.asarray(estimated_hz, dtype=np.float64)
    if reference_hz.shape != estimated_hz.shape:
        raise ValueError(
            "`reference_hz` and `estimated_hz` must have the same shape. "
            f"Received: reference_hz.shape={reference_hz.shape}, estimated_hz.shape={estimated_hz.shape}"
        )
    voiced = reference_hz > 0
    if not voiced.any():
        raise ValueError("No voiced reference frame (all reference frequencies <= 0). Received: reference_hz")
    errors = np.full(reference_hz.shape, np.inf)
    # An unvoiced estimate on a voiced reference frame is a miss (infinite error).
    both = voiced & (estimated_hz > 0)
    errors[both] = hz_to_cents(estimated_hz[both]) - hz_to_cents(reference_hz[both])
    return errors[voiced]


def pitch_accuracy(reference_hz, estimated_hz, tolerance_cents=50.0):
    """Raw pitch accuracy: share of voiced reference frames estimated within `tolerance_cents`.

    Args:
        reference_hz: array of reference frequencies (<= 0 marks an unvoiced frame).
        estimated_hz: array of estimates, same shape (<= 0 = no estimate, counted wrong).
        tolerance_cents: tolerance; 50 cents (a quarter tone) in CREPE.

    Example:
    >>> pitch_accuracy([440.0, 440.0], [441.0, 466.16])
    0.5
    """
    errors = _cent_errors(reference_hz, estimated_hz)
    return float(np.mean(np.abs(errors) <= tolerance_cents))


def chroma_accuracy(reference_hz, estimated_hz, tolerance_cents=50.0):
    """Raw chroma accuracy: like `pitch_accuracy` but octave errors are forgiven.

    Example:
    >>> chroma_accuracy([440.0, 440.0], [880.0, 220.0])
    1.0
    """
    errors = _cent_errors(reference_hz, estimated_hz)
    finite = np.isfinite(errors)
    folded = np.full(errors.shape, np.inf)
    folded[finite] = errors[finite] - 1200.0 * np.round(errors[finite] / 1200.0)
    return float(np.mean(np.abs(folded) <= tolerance_cents))
