import os

import numpy as np
import pandas as pd
import pytest

from keras_audio_ssl.data.downstream import csv_manifest
from keras_audio_ssl.encoders import build_embedding_model
from keras_audio_ssl.evaluation.pitch_probe import N_PITCHES
from keras_audio_ssl.evaluation.pitch_probe import evaluate_pitch
from keras_audio_ssl.evaluation.pitch_probe import midi_labels
from keras_audio_ssl.evaluation.pitch_probe import pitch_probe
from tests.evaluation.test_sed_probe import BandEnergyFrames
from tests.test_case import write_wav

FAST = dict(runs=1, epochs=150, batch_size=64, learning_rate=1e-2)


def _embeddings(midi, code, rng):
    x = np.zeros((len(midi), 32), np.float32)
    x[np.arange(len(midi)), code(midi)] = 3.0
    return x + 0.1 * rng.standard_normal(x.shape).astype(np.float32)


def test_pitch_and_chroma_accuracy_of_planted_embeddings():
    rng = np.random.default_rng(0)
    midi_train = np.repeat([48, 55, 60, 67, 72], 20)
    midi_test = np.repeat([48, 55, 60, 67, 72], 5)
    # Embeddings that know the note: both accuracies ~1.
    x_tr, x_te = _embeddings(midi_train, lambda m: m - 48, rng), _embeddings(midi_test, lambda m: m - 48, rng)
    scores = pitch_probe(x_tr, midi_train, x_te, midi_test, **FAST)
    assert scores["pitch_accuracy"][0] == 1.0 and scores["chroma_accuracy"][0] == 1.0
    # Embeddings that only know the pitch class: 48/60/72 are one chroma, so pitch accuracy
    # falls to about 1/3 on those notes while chroma stays perfect.
    x_tr, x_te = _embeddings(midi_train, lambda m: m % 12, rng), _embeddings(midi_test, lambda m: m % 12, rng)
    scores = pitch_probe(x_tr, midi_train, x_te, midi_test, **FAST)
    assert scores["chroma_accuracy"][0] == 1.0
    assert scores["pitch_accuracy"][0] <= 0.4 + 0.4 / 3 + 0.05
    # Shuffled training labels: near chance.
    shuffled = rng.permutation(midi_train)
    x_tr, x_te = _embeddings(midi_train, lambda m: m - 48, rng), _embeddings(midi_test, lambda m: m - 48, rng)
    assert pitch_probe(x_tr, shuffled, x_te, midi_test, **FAST)["pitch_accuracy"][0] < 0.5


def test_notes_outside_the_piano_are_refused_and_labels_parsed():
    np.testing.assert_array_equal(midi_labels(["060", "61", 62.0]), [60, 61, 62])
    with pytest.raises(ValueError, match="MIDI note numbers"):
        midi_labels(["C4"])
    x = np.zeros((2, 3), np.float32)
    with pytest.raises(ValueError, match="midi_train"):
        pitch_probe(x, [10, 60], x, [60, 60], runs=1, epochs=1)


def test_evaluate_pitch_on_rendered_notes(tmp_path):
    sr, rows = 16000, []
    t = np.arange(sr) / sr
    for i, note in enumerate([45, 52, 57, 64, 69, 76, 15]):  # MIDI 15 is below the piano
        f0 = 440.0 * 2 ** ((note - 69) / 12)
        for k in range(6):
            wave = sum(0.2 / h * np.sin(2 * np.pi * h * f0 * t + k) for h in (1, 2, 3)).astype(np.float32)
            path = f"n{note}_{k}.wav"
            write_wav(str(tmp_path / path), wave)
            rows.append(dict(path=path, label=f"{note:03d}", split="test" if k >= 4 else "train"))
    pd.DataFrame(rows).to_csv(tmp_path / "pitch.csv", index=False)
    task = csv_manifest(str(tmp_path / "pitch.csv"))
    model = build_embedding_model(BandEnergyFrames(), mean=0.0, std=1.0)
    result = evaluate_pitch(model, task, **FAST)
    assert result["task"] == "pitch_88" and result["n_classes"] == N_PITCHES
    assert result["outside_piano_range"] == 6 and result["n_test"] == 12
    assert result["score"] >= 0.9 and result["chroma_accuracy"] >= result["score"]


def test_nsynth_root_is_read_as_a_pitch_task(tmp_path):
    import json

    from keras_audio_ssl.evaluation.tasks import load_pitch_tasks

    t = np.arange(8000) / 16000
    for split, notes in (("train", [40, 40, 60, 60, 9]), ("valid", [40]), ("test", [40, 60])):
        examples = {}
        for i, pitch in enumerate(notes):
            name = f"keyboard_acoustic_{i:03d}-{pitch:03d}-100"
            os.makedirs(tmp_path / f"nsynth-{split}" / "audio", exist_ok=True)
            wave = (0.3 * np.sin(2 * np.pi * 440.0 * 2 ** ((pitch - 69) / 12) * t)).astype(np.float32)
            write_wav(str(tmp_path / f"nsynth-{split}" / "audio" / f"{name}.wav"), wave)
            examples[name] = {"pitch": pitch, "instrument_family_str": "keyboard"}
        (tmp_path / f"nsynth-{split}" / "examples.json").write_text(json.dumps(examples))
    (task,) = load_pitch_tasks(str(tmp_path))
    assert task.name == "nsynth_pitch"
    model = build_embedding_model(BandEnergyFrames(), mean=0.0, std=1.0)
    result = evaluate_pitch(model, task, **FAST)
    assert (result["task"], result["n_train"], result["n_test"], result["outside_piano_range"]) == (
        "nsynth_pitch_88", 4, 2, 1)
    assert result["score"] == 1.0
