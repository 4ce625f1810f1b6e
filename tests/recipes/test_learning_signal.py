"""The learning signal: kNN and quick linear-probe accuracy logged while pretraining."""

import csv
import glob
import os

import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

from keras_audio_ssl import synthetic
from keras_audio_ssl.recipes import byola
from keras_audio_ssl.recipes import cli
from keras_audio_ssl.recipes.callbacks import LearningSignal
from tests.test_case import tone
from tests.test_case import write_wav


def _clusters(rng, n, classes=3):
    labels = np.arange(n) % classes
    waves = rng.normal(0, 0.3, size=(n, 400)).astype(np.float32)
    waves[:, :classes] += 3.0 * np.eye(classes, dtype=np.float32)[labels]
    return waves, labels


def test_the_signal_measures_the_embedding_it_is_given():
    rng = np.random.default_rng(0)
    signal = LearningSignal(_clusters(rng, 90), _clusters(rng, 60), k=5, probe_epochs=60, verbose=False)
    signal.set_model(lambda x, training=False: x[:, :8])  # keeps the class coordinates
    informative = signal.measure()
    noise = np.random.default_rng(1)
    signal.set_model(lambda x, training=False: noise.normal(size=(len(x), 8)).astype(np.float32))
    uninformative = signal.measure()
    assert informative["knn_accuracy"] > 0.9 and informative["probe_accuracy"] > 0.9
    assert uninformative["knn_accuracy"] < 0.6 and uninformative["probe_accuracy"] < 0.6
    signal.set_model(lambda x, training=False: np.full((len(x), 8), np.nan, np.float32))
    assert all(np.isnan(v) for v in signal.measure().values())  # NaN embeddings never score


@pytest.fixture
def tones_manifest(tmp_path):
    rng = np.random.default_rng(0)
    rows = []
    os.makedirs(tmp_path / "tones")
    for i in range(30):
        label = ("low", "mid", "high")[i % 3]
        freq = {"low": 250.0, "mid": 900.0, "high": 3000.0}[label] * rng.uniform(0.95, 1.05)
        path = write_wav(tmp_path / "tones" / f"{i}.wav", tone(freq, rng.uniform(0.6, 1.4)))
        rows.append({"path": path, "label": label, "split": "test" if i >= 21 else "train"})
    pd.DataFrame(rows).to_csv(tmp_path / "tones.csv", index=False)
    return tmp_path / "tones.csv"


def test_from_manifest_crops_to_the_unit_and_keeps_the_splits(tones_manifest, tmp_path):
    signal = LearningSignal.from_manifest(str(tones_manifest), unit_seconds=1.0)
    assert signal.x_train.shape == (21, 16000) and signal.x_val.shape == (9, 16000)
    assert sorted(set(signal.y_val.tolist())) == [0, 1, 2]
    few = LearningSignal.from_manifest(str(tones_manifest), max_clips=12)
    assert len(few.x_train) + len(few.x_val) == 12
    table = pd.read_csv(tones_manifest).drop(columns="split")
    table["fold"] = np.arange(len(table)) % 5 + 1
    table.to_csv(tmp_path / "folds.csv", index=False)
    folds = LearningSignal.from_manifest(str(tmp_path / "folds.csv"))
    assert (len(folds.x_train), len(folds.x_val)) == (24, 6)  # the last fold is scored
    table.assign(fold=1, split="train").to_csv(tmp_path / "train_only.csv", index=False)
    with pytest.raises(ValueError, match="valid/test rows"):
        LearningSignal.from_manifest(str(tmp_path / "train_only.csv"))
    table["labels"] = table.pop("label") + ";x"
    table.to_csv(tmp_path / "tags.csv", index=False)
    with pytest.raises(ValueError, match="single-label"):
        LearningSignal.from_manifest(str(tmp_path / "tags.csv"))


@pytest.mark.large  # a 3-epoch fit with kNN and probe evaluations
def test_cli_monitor_logs_both_accuracies_to_history_and_tensorboard(tones_manifest, tmp_path, capsys):
    data = tmp_path / "unlabeled"
    os.makedirs(data)
    for i, clip in enumerate(synthetic.make_unlabeled_corpus(16, seconds=1.5, seed=2)):
        write_wav(data / f"{i}.wav", clip)
    run_dir = tmp_path / "run"
    code = cli.main(byola.fit, ["--data", str(data), "--output-dir", str(run_dir), "--epochs", "3",
                                "--feature-d", "16", "--batch-size", "8", "--memory-size", "16",
                                "--norm-stats-samples", "16", "--verbose", "0", "--jit-compile", "false",
                                "--monitor", str(tones_manifest), "--monitor-every", "2"])
    assert code == 0
    assert capsys.readouterr().err.count("learning signal on 9 labelled clips") == 2  # epochs 2 and 3 (the last)
    with open(run_dir / "history.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["knn_accuracy"] == "" for r in rows] == [True, False, False]
    assert all(0.0 <= float(r["probe_accuracy"]) <= 1.0 for r in rows[1:])
    tags = set()
    for events in glob.glob(os.path.join(run_dir, "logs", "**", "events.out.tfevents.*"), recursive=True):
        for event in tf.compat.v1.train.summary_iterator(events):
            tags.update(value.tag for value in event.summary.value)
    assert {"epoch_knn_accuracy", "epoch_probe_accuracy"} <= tags


def test_cli_monitor_names_a_bad_manifest(tmp_path, capsys):
    with pytest.raises(SystemExit):
        cli.parse_args(byola.fit, ["--data", str(tmp_path), "--monitor", str(tmp_path / "missing.csv")])
    assert "--monitor" in capsys.readouterr().err
