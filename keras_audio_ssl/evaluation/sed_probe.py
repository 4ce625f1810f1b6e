"""Sound event detection on frozen frame embeddings (the multiple-sampling-strategies protocol).

Kuroyanagi & Komatsu evaluate frame embeddings on DCASE 2016 task 2 (synthetic
mixtures) with the onset F-measure. Here: the encoder's frames `[T', d]` of each
clip (downstream-train normalisation, standardised with the training frames' mean
and std), one dropout + Dense layer with a sigmoid per class trained on every
training frame (targets: the strong labels at the frame rate, `frame_targets`),
decoded into events (threshold 0.5, a 0.25 s median filter; `decode_events`) and
scored against the test clips' events with the DCASE onset F-measure (200 ms
collar) and the event-based F-measure on onsets and offsets, micro and per class.
"""

import time

import numpy as np

from keras_audio_ssl.audio.clips import DEFAULT_SAMPLE_RATE
from keras_audio_ssl.audio.clips import load_clips
from keras_audio_ssl.encoders.embedding_model_parts import find_front_end
from keras_audio_ssl.encoders.embedding_model_parts import min_samples as model_min_samples
from keras_audio_ssl.evaluation import linear_classifier
from keras_audio_ssl.evaluation.embeddings import embed_frames
from keras_audio_ssl.evaluation.event_decoding import DEFAULT_MEDIAN_SECONDS
from keras_audio_ssl.evaluation.event_decoding import DEFAULT_THRESHOLD
from keras_audio_ssl.evaluation.event_decoding import decode_events
from keras_audio_ssl.evaluation.event_decoding import frame_targets
from keras_audio_ssl.evaluation.event_metrics import event_f_measure
from keras_audio_ssl.evaluation.event_metrics import onset_f_measure
from keras_audio_ssl.evaluation.psds import PSDS1
from keras_audio_ssl.evaluation.psds import psds
from keras_audio_ssl.evaluation.segment_metrics import segment_metrics
from keras_audio_ssl.evaluation.linear_probe import standardize


def frame_seconds(embedding_model, n_samples, n_frames, sample_rate=DEFAULT_SAMPLE_RATE):
    """Seconds per frame embedding: the log-mel hop times the encoder's time downsampling.

    The downsampling is measured (log-mel frames over embedding frames, rounded), so
    it holds for any encoder, pooled or strided.
    """
    hop = int(find_front_end(embedding_model).hop_length)
    log_mel_frames = 1 + int(n_samples) // hop
    factor = max(1, int(round(log_mel_frames / max(int(n_frames), 1))))
    return factor * hop / float(sample_rate)


def sed_probe(train_frames, train_targets, test_frames, *, epochs=linear_classifier.PAPER_EPOCHS,
              batch_size=linear_classifier.PAPER_BATCH_SIZE, learning_rate=linear_classifier.PAPER_LEARNING_RATE,
              dropout=linear_classifier.PAPER_DROPOUT, seed=0):
    """Trains the frame-wise classifier and returns test probabilities, one `[T'_i, C]` per clip.

    Args:
        train_frames: list of `[T'_i, d]` frame embeddings.
        train_targets: list of `[T'_i, C]` multi-hot targets (`frame_targets`).
        test_frames: list of `[T'_j, d]`.
        epochs, batch_size, learning_rate, dropout: the paper's 250, 1024, 1e-4, 0.1.
        seed: weights, dropout and batch order.
    """
    linear_classifier.check_probe_settings(epochs, batch_size, learning_rate, dropout)
    if len(train_frames) != len(train_targets):
        raise ValueError(f"Got {len(train_frames)} training clips but {len(train_targets)} target arrays.")
    for i, (x, y) in enumerate(zip(train_frames, train_targets)):
        if len(x) != len(y):
            raise ValueError(f"Training clip {i} has {len(x)} frames but {len(y)} target frames.")
    x_train = np.concatenate(train_frames).astype(np.float32)
    y_train = np.concatenate(train_targets).astype(np.float32)
    if not np.all(np.isfinite(x_train)):
        raise ValueError("The training frame embeddings contain NaN or infinite values.")
    lengths = [len(x) for x in test_frames]
    x_train, x_test = standardize(x_train, np.concatenate(test_frames).astype(np.float32))
    classifier = linear_classifier.LinearClassifier(
        x_train.shape[1], y_train.shape[1], multi_label=True, learning_rate=learning_rate, dropout=dropout)
    # Output biases start at each class's log prior odds: with active frames rare (a few
    # percent), a zero bias starts every frame at p = 0.5, and 1e-4 steps take most of
    # the budget just to unlearn that, emitting spurious events meanwhile.
    prior = np.clip(y_train.mean(axis=0), 1e-4, 1 - 1e-4)
    classifier.fit(x_train, y_train, epochs=epochs, batch_size=batch_size, seed=seed,
                   initial_bias=np.log(prior / (1 - prior)))
    probabilities = classifier.predict(x_test)
    return np.split(probabilities, np.cumsum(lengths)[:-1])


def _load_checked(paths, embedding_model, sample_rate):
    waves = load_clips(paths, sample_rate)
    shortest = model_min_samples(embedding_model)
    for path, wave in zip(paths, waves):
        if len(wave) < shortest:
            # Padding would shift every onset; a clip this short holds no event to detect anyway.
            raise ValueError(f"Clip {path} is {len(wave) / sample_rate:.3f} s long; the model needs at least "
                             f"{shortest / sample_rate:.3f} s for one frame.")
    return waves


def _mean_class_wise(runs):
    labels = sorted({label for run in runs for label in run})
    return {label: float(np.mean([run.get(label, 0.0) for run in runs])) for label in labels}


#: Decision thresholds whose decoded events are PSDS's operating points.
PSDS_THRESHOLDS = tuple(np.round(np.linspace(0.05, 0.95, 19), 2))


def _psds1(probabilities, paths, seconds, durations, classes, reference, median_seconds):
    """DCASE's PSDS1 over the decision thresholds (NaN when the test clips hold no event)."""
    if not reference:
        return float("nan")
    points = [[e for path, p in zip(paths, probabilities)
               for e in decode_events(p, seconds, classes, filename=path, threshold=t, median_seconds=median_seconds)]
              for t in PSDS_THRESHOLDS]
    return psds(reference, points, durations, **PSDS1)


def evaluate_sed(embedding_model, dataset, *, runs=3, seed=0, normalize_with="downstream",
                 threshold=DEFAULT_THRESHOLD, median_seconds=DEFAULT_MEDIAN_SECONDS, t_collar=0.2,
                 sample_rate=DEFAULT_SAMPLE_RATE, epochs=linear_classifier.PAPER_EPOCHS,
                 batch_size=linear_classifier.PAPER_BATCH_SIZE, learning_rate=linear_classifier.PAPER_LEARNING_RATE,
                 dropout=linear_classifier.PAPER_DROPOUT, verbose=False):
    """Runs the SED protocol on a `SoundEventDataset`; returns one result dict.

    The score is the onset F-measure (micro, 200 ms collar) averaged over `runs`
    seeds; also the event-based F-measure (onsets and offsets), the macro onset
    F-measure, the class-wise onset F-measures and DCASE's PSDS1 over the
    decision thresholds `PSDS_THRESHOLDS` (means over runs).
    """
    if runs < 1:
        raise ValueError(f"`runs` must be >= 1. Received: runs={runs}")
    train_paths, test_paths = dataset.split("train"), dataset.split("test")
    started = time.perf_counter()
    train_waves = _load_checked(train_paths, embedding_model, sample_rate)
    test_waves = _load_checked(test_paths, embedding_model, sample_rate)
    kwargs = dict(sample_rate=sample_rate, min_samples=None, normalize_with=normalize_with,
                  normalization_clips=train_waves if normalize_with == "downstream" else None)
    train_frames = embed_frames(embedding_model, train_waves, **kwargs)
    test_frames = embed_frames(embedding_model, test_waves, **kwargs)
    embed_seconds = time.perf_counter() - started
    seconds = frame_seconds(embedding_model, len(train_waves[0]), len(train_frames[0]), sample_rate)
    targets = [frame_targets(dataset.events_of(p), len(f), seconds, dataset.classes)
               for p, f in zip(train_paths, train_frames)]
    reference = [(on, off, label, path) for path in test_paths for on, off, label in dataset.events_of(path)]

    started = time.perf_counter()
    onset, event, macro, class_wise, segment_er, segment_f1, psds1 = [], [], [], [], [], [], []
    durations = {path: len(wave) / float(sample_rate) for path, wave in zip(test_paths, test_waves)}
    for run in range(runs):
        probabilities = sed_probe(train_frames, targets, test_frames, epochs=epochs, batch_size=batch_size,
                                  learning_rate=learning_rate, dropout=dropout, seed=seed + run)
        estimated = [e for path, p in zip(test_paths, probabilities)
                     for e in decode_events(p, seconds, dataset.classes, filename=path, threshold=threshold,
                                            median_seconds=median_seconds)]
        scores = onset_f_measure(reference, estimated, t_collar=t_collar)
        onset.append(scores["f_measure"])
        macro.append(scores["macro_f_measure"])
        class_wise.append(scores["class_wise_f_measure"])
        event.append(event_f_measure(reference, estimated, t_collar=t_collar)["f_measure"])
        segments = segment_metrics(reference, estimated, time_resolution=1.0, labels=dataset.classes)
        segment_er.append(segments["error_rate"])
        segment_f1.append(segments["f_measure"])
        psds1.append(_psds1(probabilities, test_paths, seconds, durations, dataset.classes, reference, median_seconds))
        if verbose:
            print(f"[sed] {dataset.name} run {run + 1}/{runs}: onset F {onset[-1]:.4f}, event F {event[-1]:.4f}",
                  flush=True)
    per_class = _mean_class_wise(class_wise)
    return {
        "task": dataset.name,
        "protocol": "sed (frame-wise linear)",
        "metric": "onset_f_measure",
        "score": float(np.mean(onset)),
        "score_std": float(np.std(onset)),
        "runs": runs,
        "n_train": len(train_paths),
        "n_test": len(test_paths),
        "n_classes": len(dataset.classes),
        "embedding_dim": int(train_frames[0].shape[1]),
        "evaluation": "split",
        "embed_seconds": round(embed_seconds, 2),
        "probe_seconds": round(time.perf_counter() - started, 2),
        "scores": onset,
        "event_f_measure": float(np.mean(event)),
        # HEAR's segment_1s_er / segment_1s_f1 (sed_eval's segment-based metrics over 1 s).
        "segment_1s_er": float(np.mean(segment_er)),
        "segment_1s_f1": float(np.mean(segment_f1)),
        "macro_onset_f_measure": float(np.mean(macro)),
        "psds1": float(np.mean(psds1)),
        "frame_seconds": seconds,
        "class_wise_onset_f_measure": ";".join(f"{label}={value:.4f}" for label, value in per_class.items()),
    }
