"""88-way MIDI pitch classification on frozen clip embeddings (the multiple-sampling-strategies protocol).

Kuroyanagi & Komatsu classify NSynth notes "into one of 88 pitches" (the piano's MIDI
21-108) with one dropout + Dense layer (250 epochs, Adam 1e-4, batch 1024, dropout
0.1) and score it as CREPE does: raw pitch accuracy (within 50 cents) and raw chroma
accuracy (octave errors forgiven). The classifier always has the 88 outputs, whatever
notes the training set holds; notes outside the piano range are left out (counted).
"""

import time

import numpy as np

from keras_audio_ssl.evaluation import linear_classifier
from keras_audio_ssl.evaluation.classification_metrics import accuracy
from keras_audio_ssl.evaluation.embeddings import embed_clips
from keras_audio_ssl.evaluation.linear_probe import standardize
from keras_audio_ssl.evaluation.pitch_metrics import chroma_accuracy
from keras_audio_ssl.evaluation.pitch_metrics import midi_to_hz
from keras_audio_ssl.evaluation.pitch_metrics import pitch_accuracy

LOWEST_MIDI = 21  # A0
HIGHEST_MIDI = 108  # C8
N_PITCHES = HIGHEST_MIDI - LOWEST_MIDI + 1


def midi_labels(labels, where="labels"):
    """MIDI note numbers `[N]` from labels such as `60`, `"060"` or `"60.0"`."""
    try:
        midi = np.array([float(v) for v in labels])
    except (TypeError, ValueError):
        shown = [v for v in labels if not str(v).replace(".", "", 1).isdigit()][:3]
        raise ValueError(f"Pitch labels must be MIDI note numbers; {where} has {shown}.") from None
    if np.any(midi != np.round(midi)):
        raise ValueError(f"Pitch labels must be whole MIDI note numbers. Received in {where}: {midi[midi != np.round(midi)][:3]}")
    return midi.astype(np.int64)


def pitch_probe(x_train, midi_train, x_test, midi_test, *, runs=3, seed=0, epochs=linear_classifier.PAPER_EPOCHS,
                batch_size=linear_classifier.PAPER_BATCH_SIZE, learning_rate=linear_classifier.PAPER_LEARNING_RATE,
                dropout=linear_classifier.PAPER_DROPOUT):
    """Trains the 88-way classifier `runs` times; returns pitch/chroma accuracy (mean, std, per run).

    Args:
        x_train, x_test: embeddings `[N, d]`.
        midi_train, midi_test: MIDI notes in 21..108.
    """
    linear_classifier.check_probe_settings(epochs, batch_size, learning_rate, dropout)
    midi_train, midi_test = np.asarray(midi_train, np.int64), np.asarray(midi_test, np.int64)
    for name, midi in (("midi_train", midi_train), ("midi_test", midi_test)):
        outside = midi[(midi < LOWEST_MIDI) | (midi > HIGHEST_MIDI)]
        if len(outside):
            raise ValueError(f"`{name}` has notes outside MIDI {LOWEST_MIDI}-{HIGHEST_MIDI}: {sorted(set(outside.tolist()))[:5]}")
    x_train, x_test = standardize(np.asarray(x_train, np.float32), np.asarray(x_test, np.float32))
    classifier = linear_classifier.LinearClassifier(x_train.shape[1], N_PITCHES, multi_label=False,
                                                            learning_rate=learning_rate, dropout=dropout)
    reference = midi_to_hz(midi_test)
    scores = {"pitch_accuracy": [], "chroma_accuracy": [], "accuracy": []}
    for run in range(runs):
        classifier.fit(x_train, midi_train - LOWEST_MIDI, epochs=epochs, batch_size=batch_size, seed=seed + run)
        predicted = classifier.predict(x_test).argmax(axis=1) + LOWEST_MIDI
        estimate = midi_to_hz(predicted)
        scores["pitch_accuracy"].append(pitch_accuracy(reference, estimate))
        scores["chroma_accuracy"].append(chroma_accuracy(reference, estimate))
        scores["accuracy"].append(accuracy(midi_test, predicted))
    return {name: (float(np.mean(v)), float(np.std(v)), v) for name, v in scores.items()}


def evaluate_pitch(embedding_model, task, *, runs=3, seed=0, normalize_with="downstream", embed_batch_size=32,
                   max_seconds=None, sample_rate=16000, **probe_kwargs):
    """The pitch protocol on a `DownstreamDataset` whose labels are MIDI notes (NSynth pitch,
    the offline benchmark's `pitch` task): trains on its train split, scores its test split.

    `probe_kwargs` (`epochs`, `batch_size`, `learning_rate`, `dropout`) go to
    `pitch_probe`. Returns one result dict; `score` is the raw pitch accuracy, with
    `chroma_accuracy` and the 88-way `accuracy` beside it.
    """
    if runs < 1:
        raise ValueError(f"`runs` must be >= 1. Received: runs={runs}")
    frame = task.frame.copy()
    frame["midi"] = midi_labels(frame["label"], f"task {task.name!r}")
    in_range = frame["midi"].between(LOWEST_MIDI, HIGHEST_MIDI)
    dropped = int((~in_range).sum())
    frame = frame[in_range]
    train, test = frame[frame["split"] == "train"], frame[frame["split"] == "test"]
    if len(train) == 0 or len(test) == 0:
        raise ValueError(f"Pitch task {task.name!r} needs train and test notes in MIDI {LOWEST_MIDI}-{HIGHEST_MIDI}. "
                         f"Received: {len(train)} train, {len(test)} test")
    max_samples = int(max_seconds * sample_rate) if max_seconds else None
    started = time.perf_counter()
    normalization = task.clips(train, sample_rate) if normalize_with == "downstream" else None
    embed = dict(batch_size=embed_batch_size, sample_rate=sample_rate, normalize_with=normalize_with,
                 normalization_clips=normalization, max_samples=max_samples)
    x_train = embed_clips(embedding_model, task.clips(train, sample_rate), **embed)
    x_test = embed_clips(embedding_model, task.clips(test, sample_rate), **embed)
    embed_seconds = time.perf_counter() - started
    started = time.perf_counter()
    scores = pitch_probe(x_train, train["midi"].to_numpy(), x_test, test["midi"].to_numpy(), runs=runs, seed=seed,
                         **probe_kwargs)
    pitch_mean, pitch_std, pitch_runs = scores["pitch_accuracy"]
    return {
        "task": f"{task.name}_88",
        "protocol": "pitch (88-way, dropout linear)",
        "metric": "pitch_accuracy",
        "score": pitch_mean,
        "score_std": pitch_std,
        "runs": runs,
        "n_train": len(train),
        "n_test": len(test),
        "n_classes": N_PITCHES,
        "embedding_dim": int(x_train.shape[1]),
        "evaluation": "split",
        "embed_seconds": round(embed_seconds, 2),
        "probe_seconds": round(time.perf_counter() - started, 2),
        "scores": pitch_runs,
        "chroma_accuracy": scores["chroma_accuracy"][0],
        "accuracy": scores["accuracy"][0],
        "outside_piano_range": dropped,
    }
