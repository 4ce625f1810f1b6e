import keras
import pandas as pd
import pytest

from keras_audio_ssl.evaluation import load_tasks
from keras_audio_ssl.evaluation import run_task
from keras_audio_ssl.evaluation.pitch_metrics import midi_to_hz
from tests.test_case import tone
from tests.test_case import write_wav

encoders = pytest.importorskip("keras_audio_ssl.encoders")


def test_pitch_task_reports_crepe_metrics_and_folds_run(tmp_path):
    rows = []
    for i, midi in enumerate([57, 69, 81, 64] * 6):
        path = write_wav(tmp_path / f"{i}.wav", tone(float(midi_to_hz(midi)), 0.6, amplitude=0.2 + 0.1 * (i % 5)))
        rows.append({"path": path, "label": midi, "split": "test" if i >= 16 else "train", "fold": i % 3 + 1})
    pd.DataFrame(rows).to_csv(tmp_path / "pitch.csv", index=False)
    pd.DataFrame(rows).drop(columns="fold").to_csv(tmp_path / "pitch_split.csv", index=False)
    keras.utils.set_random_seed(0)
    model = encoders.build_embedding_model(encoders.AudioNTT2020(feature_d=16), mean=-6.0, std=4.0)

    folds_task, split_task = load_tasks([str(tmp_path / "pitch.csv"), str(tmp_path / "pitch_split.csv")])
    assert folds_task.evaluation == "folds" and split_task.evaluation == "split"

    (result,) = run_task(model, split_task, runs=1, epochs=40)
    # MIDI classes: within 50 cents means the exact note, so pitch accuracy equals accuracy
    # of the last run; chroma forgives the octave confusions 57/69/81.
    assert result["pitch_accuracy"] == pytest.approx(result["scores"][-1])
    assert result["chroma_accuracy"] >= result["pitch_accuracy"]

    linear, nearest = run_task(model, folds_task, protocols=("linear", "knn"), runs=1, epochs=20, k=3)
    assert linear["evaluation"] == "leave-one-fold-out" and nearest["protocol"] == "knn(k=3)"
    assert linear["n_test"] == len(rows)
    assert 0.0 <= nearest["score"] <= 1.0
