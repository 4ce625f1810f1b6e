import glob
import json
import os

import numpy as np
import pytest

from keras_audio_ssl import synthetic
from keras_audio_ssl.recipes import multi_strategy
from keras_audio_ssl.recipes.presets import load_preset
from keras_audio_ssl.recipes.presets import recipe_defaults
from keras_audio_ssl.recipes.presets import resolve_config

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TINY = dict(encoder="AudioNTT2020", feature_d=16, batch_size=8, norm_stats_samples=16, verbose=0, jit_compile=False, projection_dim=8)


def test_defaults_are_the_paper_settings():
    d = recipe_defaults(multi_strategy.fit)
    assert (d["batch_size"], d["learning_rate"], d["epochs"], d["projection_dim"]) == (1024, 1e-4, 250, 512)
    assert (d["frame_weight"], d["pitch_weight"], d["m"], tuple(d["factor_range"])) == (1.0, 1.0, 0, (0.8, 1.2))


def test_presets_resolve():
    presets = sorted(glob.glob(os.path.join(REPO, "recipes", "multi_strategy_*.json")))
    assert {"multi_strategy_audioset.json", "multi_strategy_cpu.json"} <= {os.path.basename(p) for p in presets}
    for path in presets:
        resolve_config(multi_strategy.fit, load_preset(path))


def test_fit_logs_each_term_and_writes_a_usable_run(tmp_path):
    import keras

    clips = synthetic.make_unlabeled_corpus(16, seconds=1.5, seed=2)
    _, history = multi_strategy.fit(clips, output_dir=str(tmp_path / "run"), epochs=1, **TINY)
    for key in ("loss", "clip_loss", "frame_loss", "pitch_loss", "contrastive_accuracy", "frame_accuracy"):
        assert np.isfinite(history.history[key]).all(), key
    model = keras.saving.load_model(str(tmp_path / "run" / "embedding_model.keras"))
    assert np.asarray(model(clips[:2])).shape == (2, 16)
    with pytest.raises(ValueError, match="Received: m=-2"):
        multi_strategy.fit(clips, output_dir=str(tmp_path / "bad"), m=-2, **TINY)


def test_cli_runs_the_cpu_preset(tmp_path, capsys, monkeypatch):
    # The command line's `main` in this process (tests/test_first_run.py starts a recipe's real process).
    from keras_audio_ssl.recipes.cli import main_any
    from tests.test_case import exit_code

    folder = tmp_path / "wavs"
    synthetic.write_wav_folder(str(folder), synthetic.make_unlabeled_corpus(16, seconds=1.5, seed=5))
    out = tmp_path / "run"
    monkeypatch.chdir(REPO)
    code = exit_code(main_any, ["--config", "recipes/multi_strategy_cpu.json", "--data", str(folder), "--output-dir",
                                str(out), "--epochs", "1", "--batch-size", "8", "--feature-d", "16",
                                "--norm-stats-samples", "8", "--factor-range", "[0.9, 1.1]"])
    assert code == 0, capsys.readouterr().err[-3000:]
    config = json.loads((out / "config.json").read_text())
    assert config["method"] == "multi_strategy" and config["factor_range"] == [0.9, 1.1]
