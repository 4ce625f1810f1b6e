import glob
import json
import os

import numpy as np
import pytest

from keras_audio_ssl import synthetic
from keras_audio_ssl.recipes import cola
from keras_audio_ssl.recipes.presets import load_preset
from keras_audio_ssl.recipes.presets import recipe_defaults
from keras_audio_ssl.recipes.presets import resolve_config

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TINY = dict(encoder="AudioNTT2020", feature_d=16, batch_size=8, norm_stats_samples=16, verbose=0, jit_compile=False)


def test_defaults_are_the_paper_settings():
    d = recipe_defaults(cola.fit)
    assert (d["batch_size"], d["learning_rate"], d["projection_dim"]) == (1024, 1e-4, 512)
    assert (d["similarity"], d["temperature"], d["augmentation"]) == ("bilinear", 0.2, "none")


def test_every_cola_preset_resolves_for_the_cola_recipe():
    presets = sorted(glob.glob(os.path.join(REPO, "recipes", "cola_*.json")))
    names = {os.path.basename(p) for p in presets}
    assert {"cola_audioset.json", "cola_prime_d512.json", "cola_prime_plus_d512.json", "cola_cpu.json"} <= names
    for path in presets:
        with open(path) as f:
            raw = json.load(f)
        assert raw["method"] == "cola" and raw["description"]
        resolve_config(cola.fit, load_preset(path))
    plus = resolve_config(cola.fit, load_preset(os.path.join(REPO, "recipes", "cola_prime_plus_d512.json")))
    assert (plus["augmentation"], plus["feature_d"], plus["batch_size"]) == ("byola", 512, 1024)
    from keras_audio_ssl.recipes import byola

    with pytest.raises(ValueError, match="for method 'cola'"):
        resolve_config(byola.fit, load_preset(os.path.join(REPO, "recipes", "cola_cpu.json")))


@pytest.mark.large  # two 2-epoch fits; the CLI smoke below trains COLA by default
@pytest.mark.parametrize("augmentation", ["none", "byola"])
def test_fit_trains_on_two_segments_per_clip_and_writes_a_usable_run(tmp_path, augmentation):
    from keras_audio_ssl.encoders import load_embedding_model

    clips = synthetic.make_unlabeled_corpus(16, seconds=2.0, seed=4)
    run = tmp_path / "run"
    model, history = cola.fit(clips, output_dir=str(run), epochs=2, augmentation=augmentation, memory_size=16,
                              **TINY)
    assert history.epoch == [0, 1]
    for key in ("loss", "contrastive_accuracy", "logits_entropy", "embedding_std"):
        assert np.all(np.isfinite(history.history[key])), key
    # 8 clips per step: chance accuracy is 1/8, the loss starts near log(8).
    assert 0.0 <= history.history["contrastive_accuracy"][0] <= 1.0
    config = json.loads((run / "config.json").read_text())
    assert config["method"] == "cola" and config["status"] == "finished" and config["augmentation"] == augmentation
    embedder = load_embedding_model(str(run))
    emb = np.asarray(embedder(clips[:2, :16000]))
    assert emb.shape == (2, 16) and np.all(np.isfinite(emb))


@pytest.mark.parametrize(
    "kwargs, match",
    [(dict(similarity="dot"), "similarity='dot'"), (dict(temperature=0), "temperature=0"),
     (dict(augmentation="strong"), "augmentation='strong'"), (dict(projection_dim=0), "projection_dim=0")],
)
def test_bad_arguments_are_named(tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        cola.fit(np.zeros((8, 16000), np.float32), output_dir=str(tmp_path / "run"), **{**TINY, **kwargs})


def test_cli_runs_the_cpu_preset_on_a_wav_folder_through_the_generic_entry_point(tmp_path, capsys, monkeypatch):
    # The command line's `main` in this process (tests/test_first_run.py starts a recipe's real process).
    from keras_audio_ssl.recipes.cli import main
    from keras_audio_ssl.recipes.cli import main_any
    from tests.test_case import exit_code

    folder = tmp_path / "wavs"
    synthetic.write_wav_folder(str(folder), synthetic.make_unlabeled_corpus(16, seconds=1.5, seed=5))
    out = tmp_path / "run"
    monkeypatch.chdir(REPO)
    code = exit_code(main_any, ["--config", "recipes/cola_cpu.json", "--data", str(folder), "--output-dir", str(out),
                                "--epochs", "1", "--batch-size", "8", "--feature-d", "16", "--norm-stats-samples", "8"])
    assert code == 0, capsys.readouterr().err[-3000:]
    assert "\r" not in capsys.readouterr().out  # not a terminal: one line per epoch
    config = json.loads((out / "config.json").read_text())
    assert config["method"] == "cola" and config["feature_d"] == 16 and config["epochs_finished"] == 1
    assert (out / "embedding_model.keras").exists()
    # `python -m keras_audio_ssl.recipes.cola`'s main.
    assert exit_code(lambda argv: main(cola.fit, argv),
                     ["--data", str(folder), "--output-dir", str(out), "--similarity", "dot"]) == 2
    stderr = capsys.readouterr().err
    assert "similarity='dot'" in stderr and "Traceback" not in stderr
