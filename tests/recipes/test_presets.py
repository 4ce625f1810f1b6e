import glob
import json
import os

import pytest

from keras_audio_ssl.recipes import byola
from keras_audio_ssl.recipes import cli
from keras_audio_ssl.recipes import run
from keras_audio_ssl.recipes.presets import load_preset
from keras_audio_ssl.recipes.presets import recipe_defaults
from keras_audio_ssl.recipes.presets import resolve_config

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PRESETS = sorted(glob.glob(os.path.join(REPO, "recipes", "byola_*.json")))


def test_defaults_are_the_paper_settings():
    d = recipe_defaults(byola.fit)
    assert (d["feature_d"], d["epochs"], d["batch_size"], d["learning_rate"]) == (2048, 100, 256, 3e-4)
    assert (d["mixup_ratio"], d["memory_size"], d["ema_decay"]) == (0.4, 2048, 0.99)
    assert d["encoder"] == "AudioNTT2020" and d["random_linear_fader"] is False


def test_every_byola_preset_resolves_and_states_only_differences():
    names = {os.path.basename(p) for p in PRESETS}
    assert {"byola_audioset_d512.json", "byola_audioset_d1024.json", "byola_audioset_d2048.json",
            "byola_fsd50k.json", "byola_v2_audioset.json"} <= names
    defaults = recipe_defaults(byola.fit)
    for path in PRESETS:
        preset = load_preset(path)
        resolve_config(byola.fit, preset)
        assert preset["method"] == "byola" and set(preset) - {"method"} <= set(defaults)
        with open(path) as f:
            assert "description" in json.load(f)
    assert resolve_config(byola.fit, load_preset(PRESETS[0]))  # smoke: no exception
    assert load_preset(os.path.join(REPO, "recipes", "byola_fsd50k"))["epochs"] == 500
    v2 = resolve_config(byola.fit, load_preset(os.path.join(REPO, "recipes", "byola_v2_audioset.json")))
    assert (v2["encoder"], v2["mixup_ratio"], v2["learning_rate"], v2["random_linear_fader"]) == (
        "AudioNTT2022", 0.2, 1e-4, True)


def test_every_preset_names_a_registered_method_and_resolves():
    from keras_audio_ssl import methods

    paths = [p for p in glob.glob(os.path.join(REPO, "recipes", "*.json")) if "tuning_" not in os.path.basename(p)]
    assert len(paths) >= 13
    for path in paths:
        preset = load_preset(path)
        assert preset.get("method") in methods.names(), path
        config = resolve_config(preset["method"], preset)
        assert set(config) == set(recipe_defaults(preset["method"])), path


def test_unknown_keys_and_missing_files_are_named(tmp_path):
    with pytest.raises(ValueError, match="feature_dim"):
        resolve_config(byola.fit, {"feature_dim": 512})
    with pytest.raises(ValueError, match="nope"):
        load_preset(str(tmp_path / "nope"))
    bad = tmp_path / "bad.json"
    bad.write_text("{oops")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_preset(str(bad))


def test_cli_preset_then_overrides():
    data, output_dir, config = cli.parse_args(byola.fit, [
        "--config", os.path.join(REPO, "recipes", "byola_audioset_d512.json"),
        "--data", "/data/audio", "--epochs", "1", "--batch-size", "16",
        "--steps-per-epoch", "3", "--random-linear-fader", "true", "--jit-compile", "off",
    ])
    assert data == "/data/audio" and output_dir == os.path.join("runs", "byola_audioset_d512")
    assert config["feature_d"] == 512 and config["epochs"] == 1 and config["batch_size"] == 16
    assert config["steps_per_epoch"] == 3 and config["random_linear_fader"] is True
    assert config["jit_compile"] == "off" and config["learning_rate"] == 3e-4


def test_jit_compile_resolution():
    assert run.resolve_jit_compile(True) is True
    assert run.resolve_jit_compile("off") is False
    import tensorflow as tf

    expected = bool(tf.config.list_logical_devices("GPU"))
    assert run.resolve_jit_compile("auto") is expected
    with pytest.raises(ValueError, match="jit_compile='fast'"):
        run.resolve_jit_compile("fast")
