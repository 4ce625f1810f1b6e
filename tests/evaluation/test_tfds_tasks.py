"""TFDS datasets as tasks (`--tasks tfds:NAME`), on tfds.testing.mock_data: nothing is downloaded."""

import os

import numpy as np
import pandas as pd
import pytest

tfds = pytest.importorskip("tensorflow_datasets", reason="tensorflow-datasets is in the dev extras")

from keras_audio_ssl.data.downstream.tfds_tasks import tfds_task  # noqa: E402

SR = 16000


def _tones(split_sizes):
    """`as_dataset_fn` for mock_data: label 0 = a 250 Hz tone, label 1 = 3 kHz, int16 like speech_commands."""
    import tensorflow as tf

    def as_dataset(self, split, **kwargs):
        n = split_sizes[str(split)]
        rng = np.random.default_rng(len(str(split)))
        t = np.arange(SR) / SR

        def examples():
            for i in range(n):
                freq = (250.0 if i % 2 == 0 else 3000.0) * rng.uniform(0.9, 1.1)
                yield {"audio": (8000 * np.sin(2 * np.pi * freq * t)).astype(np.int16), "label": i % 2}

        return tf.data.Dataset.from_generator(
            examples, output_signature={"audio": tf.TensorSpec([None], tf.int16), "label": tf.TensorSpec([], tf.int64)})

    return as_dataset


def test_speech_commands_becomes_a_split_task(tmp_path):
    with tfds.testing.mock_data(num_examples=5):
        task = tfds_task("tfds:speech_commands", cache_dir=str(tmp_path))
    assert task.name == "speech_commands" and task.evaluation == "split" and task.unit_seconds == 1.0
    assert task.frame["split"].value_counts().to_dict() == {"train": 5, "valid": 5, "test": 5}
    # Class names come from the dataset's ClassLabel feature.
    assert set(task.frame["label"]) <= set(tfds.builder("speech_commands").info.features["label"].names)
    import soundfile as sf

    info = sf.info(task.frame["path"].iloc[0])
    assert info.samplerate == SR and info.subtype == "FLOAT"
    # The export is cached: a second call reads the manifest without TFDS.
    assert tfds_task("tfds:speech_commands", cache_dir=str(tmp_path)).frame["path"].tolist() == task.frame["path"].tolist()


def test_nsynth_family_and_gtzan_folds_resampled(tmp_path):
    with tfds.testing.mock_data(num_examples=4):
        nsynth = tfds_task("tfds:nsynth", cache_dir=str(tmp_path))
        gtzan = tfds_task("tfds:gtzan", cache_dir=str(tmp_path))
        crema = tfds_task("tfds:crema_d", cache_dir=str(tmp_path))
    families = tfds.builder("nsynth").info.features["instrument"]["family"].names
    assert set(nsynth.frame["label"]) <= set(families) and nsynth.unit_seconds == 4.0
    assert gtzan.evaluation == "folds"  # no official split: leave-one-fold-out
    assert sorted(gtzan.frame["fold"].unique().tolist()) == [1, 2, 3, 4]
    import soundfile as sf

    # mock_data gives gtzan 43 samples at 22.05 kHz: 32 after resampling to 16 kHz.
    assert sf.info(gtzan.frame["path"].iloc[0]).frames == int(np.ceil(43 * 16000 / 22050))
    assert len(crema) == 12


def test_unknown_or_empty_name_is_one_clear_error(tmp_path):
    with pytest.raises(ValueError, match="tfds:<dataset name>"):
        tfds_task("tfds:", cache_dir=str(tmp_path))
    with pytest.raises(ValueError, match="not_a_dataset"):  # TFDS's DatasetNotFoundError is a ValueError
        tfds_task("tfds:not_a_dataset", cache_dir=str(tmp_path))


def test_cli_scores_a_tfds_task(tmp_path, monkeypatch, capsys):
    import keras

    from keras_audio_ssl.encoders import AudioNTT2020
    from keras_audio_ssl.encoders import build_embedding_model
    from keras_audio_ssl.evaluation.__main__ import main

    keras.utils.set_random_seed(0)
    model = tmp_path / "tiny.keras"
    build_embedding_model(AudioNTT2020(feature_d=16), mean=-6.0, std=4.0).save(model)
    monkeypatch.setenv("KAS_TFDS_CACHE", str(tmp_path / "cache"))
    with tfds.testing.mock_data(as_dataset_fn=_tones({"train": 16, "validation": 4, "test": 8})):
        code = main(["--model", str(model), "--tasks", "tfds:speech_commands", "--output", str(tmp_path / "out"),
                     "--runs", "1", "--epochs", "60", "--protocols", "linear"])
    assert code == 0, capsys.readouterr().err
    table = pd.read_csv(tmp_path / "out" / "results.csv")
    assert table["task"].tolist() == ["speech_commands"]
    assert (table["n_train"].tolist(), table["n_test"].tolist()) == ([16], [8])
    # Low vs high tones are separable even for a random encoder.
    assert table["score"][0] >= 0.85
    assert os.path.isfile(tmp_path / "cache" / "speech_commands" / "manifest.csv")
