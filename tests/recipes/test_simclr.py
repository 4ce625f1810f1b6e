import glob
import json
import os

import keras
import numpy as np
import pytest

from keras_audio_ssl import synthetic
from keras_audio_ssl.recipes import simclr
from keras_audio_ssl.recipes.presets import load_preset
from keras_audio_ssl.recipes.presets import recipe_defaults
from keras_audio_ssl.recipes.presets import resolve_config

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TINY = dict(encoder="AudioNTT2020", feature_d=16, batch_size=8, norm_stats_samples=16, verbose=0, jit_compile=False, projection_dim=8,
            segment_samples=24000)


def test_defaults_are_the_paper_settings():
    d = recipe_defaults(simclr.fit)
    assert (d["n_mels"], d["patch_frames"], d["mix_back_alpha"], d["energy_adjustment"]) == (96, 101, 0.05, True)
    assert (d["augmentation"], d["temperature"], d["batch_size"]) == ("rrc+compression+noise", 0.2, 128)


def test_every_simclr_preset_resolves_for_the_simclr_recipe():
    presets = sorted(glob.glob(os.path.join(REPO, "recipes", "simclr_*.json")))
    assert {"simclr_fsdnoisy18k.json", "simclr_cpu.json"} <= {os.path.basename(p) for p in presets}
    for path in presets:
        with open(path) as f:
            assert json.load(f)["method"] == "simclr"
        resolve_config(simclr.fit, load_preset(path))


@pytest.mark.large  # a fit, SavedModel and TFLite exports, then a continued fit
def test_fit_writes_a_96_mel_run_that_embeds_and_continues(tmp_path):
    clips = synthetic.make_unlabeled_corpus(16, seconds=2.0, seed=2)
    run = tmp_path / "run"
    model, history = simclr.fit(clips, output_dir=str(run), epochs=1, **TINY)
    assert np.isfinite(history.history["loss"]).all()
    assert {"contrastive_accuracy", "similarity_gap"} <= set(history.history)
    embedding_model = keras.saving.load_model(str(run / "embedding_model.keras"))
    from keras_audio_ssl.encoders.embedding_model_parts import find_front_end

    assert find_front_end(embedding_model).n_mels == 96  # the paper's bands, also in the shipped model
    emb = np.asarray(embedding_model(clips[:2]))
    assert emb.shape == (2, 16) and np.isfinite(emb).all()
    # It ships like BYOL-A: SavedModel and TFLite of the shared embedding model.
    import tensorflow as tf

    from keras_audio_ssl.export import embed
    from keras_audio_ssl.export import export_savedmodel
    from keras_audio_ssl.export import export_tflite

    served = tf.saved_model.load(export_savedmodel(str(run), str(tmp_path / "serving")))
    np.testing.assert_allclose(served.signatures["serving_default"](waveform=tf.constant(clips[:2]))["embedding"],
                               emb, atol=1e-5)
    tflite = export_tflite(str(run), str(tmp_path / "simclr.tflite"), clip_seconds=1.0)
    np.testing.assert_allclose(embed(tflite, clips[:2, :16000]), embed(str(run), clips[:2, :16000]), atol=1e-4)
    _, history = simclr.fit(clips, output_dir=str(run), epochs=2, **TINY)  # continues, statistics reused
    assert history.epoch == [0, 1]
    with pytest.raises(ValueError, match="n_mels"):
        simclr.fit(clips, output_dir=str(run), epochs=3, **{**TINY, "n_mels": 64})


@pytest.mark.parametrize("kwargs, name", [(dict(temperature=-1.0), "temperature"),
                                          (dict(mix_back_alpha=1.5), "mix_back_alpha"),
                                          (dict(separation=400), "separation"),
                                          (dict(n_mels=0), "n_mels")])
def test_bad_settings_are_named_before_any_data_is_read(tmp_path, kwargs, name):
    with pytest.raises(ValueError, match=f"Received: {name}="):
        simclr.fit(np.zeros((8, 24000), np.float32), output_dir=str(tmp_path / "run"), **{**TINY, **kwargs})


def test_cli_runs_the_cpu_preset_on_a_wav_folder(tmp_path, capsys, monkeypatch):
    # The command line's `main` in this process (tests/test_first_run.py starts a recipe's real process).
    from keras_audio_ssl.recipes.cli import main_any
    from tests.test_case import exit_code

    folder = tmp_path / "wavs"
    synthetic.write_wav_folder(str(folder), synthetic.make_unlabeled_corpus(16, seconds=2.0, seed=5))
    out = tmp_path / "run"
    monkeypatch.chdir(REPO)
    code = exit_code(main_any, ["--config", "recipes/simclr_cpu.json", "--data", str(folder), "--output-dir", str(out),
                                "--epochs", "1", "--batch-size", "8", "--feature-d", "16", "--norm-stats-samples", "8"])
    assert code == 0, capsys.readouterr().err[-3000:]
    config = json.loads((out / "config.json").read_text())
    assert config["method"] == "simclr" and config["epochs_finished"] == 1 and config["n_mels"] == 96
    assert (out / "embedding_model.keras").exists()


@pytest.mark.large  # a 3-epoch fit and two more runs
def test_knn_monitor_logs_accuracy_every_n_epochs_for_any_method(tmp_path):
    import csv

    from keras_audio_ssl.recipes import byola
    from keras_audio_ssl.recipes.callbacks import KNNMonitor

    task = synthetic.make_labeled_task(4, 3, seconds=1.0, seed=3)
    monitor = KNNMonitor((task["x_train"], task["y_train"]), (task["x_test"], task["y_test"]), k=5, every=2)
    clips = synthetic.make_unlabeled_corpus(16, seconds=2.0, seed=2)
    _, history = simclr.fit(clips, output_dir=str(tmp_path / "run"), epochs=3, callbacks=[monitor], **TINY)
    assert [e for e, _ in monitor.history] == [1, 2]  # every 2nd epoch, and the last
    accuracy = history.history["knn_accuracy"]
    assert np.isnan(accuracy[0]) and all(0.0 <= a <= 1.0 for a in accuracy[1:])
    with open(tmp_path / "run" / "history.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows[0]["knn_accuracy"] == "" and float(rows[2]["knn_accuracy"]) == pytest.approx(accuracy[2])
    assert os.listdir(tmp_path / "run" / "logs")  # TensorBoard got the epoch logs too
    # The same callback on another method; continuing a run without it leaves its column empty.
    byola_monitor = KNNMonitor((task["x_train"], task["y_train"]), (task["x_test"], task["y_test"]), k=5)
    byola.fit(clips, output_dir=str(tmp_path / "byola"), epochs=1, callbacks=[byola_monitor], feature_d=16,
              batch_size=8, memory_size=16, norm_stats_samples=16, verbose=0, jit_compile=False)
    _, history = byola.fit(clips, output_dir=str(tmp_path / "byola"), epochs=2, feature_d=16, batch_size=8,
                           memory_size=16, norm_stats_samples=16, verbose=0, jit_compile=False)
    assert len(byola_monitor.history) == 1 and history.epoch == [0, 1]
    with pytest.raises(ValueError, match="every=0"):
        KNNMonitor((task["x_train"], task["y_train"]), (task["x_test"], task["y_test"]), every=0)
