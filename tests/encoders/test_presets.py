import json
import os

import keras
import numpy as np
import pytest

from keras_audio_ssl.audio import LogMelSpectrogram
from keras_audio_ssl.encoders import AudioNTT2020
from keras_audio_ssl.encoders import build_embedding_model
from keras_audio_ssl.encoders import from_preset
from keras_audio_ssl.encoders import get_class
from keras_audio_ssl.encoders import preset_names
from keras_audio_ssl.encoders import save_to_preset
from keras_audio_ssl.encoders import presets

WAVE = (0.1 * np.random.default_rng(0).standard_normal((2, 16000))).astype("float32")


def _embed(model):
    return keras.ops.convert_to_numpy(model(WAVE))


def _trained_like_model():
    keras.utils.set_random_seed(3)
    encoder = AudioNTT2020(feature_d=16, n_mels=48)
    model = build_embedding_model(encoder, mean=-5.0, std=3.0, front_end=LogMelSpectrogram(n_mels=48, f_max=7000.0))
    # Moved BatchNorm statistics: a round trip must carry non-trainable weights too.
    for weight in model.non_trainable_weights:
        if "moving_variance" in weight.path:
            weight.assign(np.full(weight.shape, 2.5, "float32"))
    return model


def test_round_trip_gives_the_same_embeddings_and_writes_the_keras_hub_layout(tmp_path):
    model = _trained_like_model()
    preset = tmp_path / "presets" / "mine"
    save_to_preset(model, preset, description="a test model")
    assert sorted(os.listdir(preset)) == ["config.json", "metadata.json", "model.weights.h5"]
    assert os.listdir(tmp_path / "presets") == ["mine"]  # no temporary sibling left
    loaded = from_preset(str(preset))
    np.testing.assert_allclose(_embed(loaded), _embed(model), atol=1e-5)
    assert loaded.get_layer("pre_normalization").mean == -5.0
    metadata = json.loads((preset / "metadata.json").read_text())
    assert metadata["description"] == "a test model" and metadata["parameter_count"] == model.count_params()
    assert {"keras_audio_ssl_version", "keras_version", "tensorflow_version", "date"} <= set(metadata)
    # The front end's settings travel in config.json: 48 mels up to 7 kHz, not the defaults.
    config = (preset / "config.json").read_text()
    assert '"n_mels": 48' in config and '"f_max": 7000.0' in config


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "rename_aside"])
def test_saving_replaces_a_preset_but_refuses_a_directory_of_other_files(tmp_path, monkeypatch, exchange):
    if not exchange:  # where the folder swap is unsupported, the old preset is renamed aside first
        monkeypatch.setattr(presets.atomic_write, "_exchange", lambda a, b: False)
    (tmp_path / ".kas-tmp-999999999-p").mkdir()  # a killed write of this preset
    preset = tmp_path / "p"
    save_to_preset(from_preset("byola_d512"), preset)
    model = _trained_like_model()
    save_to_preset(model, preset)
    np.testing.assert_allclose(_embed(from_preset(preset)), _embed(model), atol=1e-5)
    assert os.listdir(tmp_path) == ["p"]
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="holds no preset"):
        save_to_preset(model, other)
    assert os.listdir(other) == ["notes.txt"]


@pytest.mark.parametrize("bad", ["no_such_preset", "missing_dir", "empty_dir", "truncated"])
def test_a_bad_name_or_directory_is_one_value_error_naming_it(tmp_path, bad):
    source = str(tmp_path / bad) if bad != "no_such_preset" else bad
    if bad == "empty_dir":
        os.makedirs(source)
    if bad == "truncated":
        save_to_preset(_trained_like_model(), source)
        with open(os.path.join(source, "model.weights.h5"), "r+b") as f:
            f.truncate(100)
    with pytest.raises(ValueError) as err:
        from_preset(source)
    message = str(err.value)
    assert "\n" not in message and f"name_or_dir={source!r}" in message


def test_built_in_names_are_the_papers_encoders_untrained():
    names = preset_names()
    assert {"byola_d512", "byola_d1024", "byola_d2048", "byola_v2", "cola"} <= set(names)
    cola = presets.built_in_encoder("cola")
    assert isinstance(cola, get_class("efficientnet_b0")) and (cola.head, cola.output_dim) == ("max", 1280)
    assert isinstance(presets.built_in_encoder("byola_v2"), get_class("audio_ntt2022"))
    assert presets.built_in_encoder("simclr_resnet18").n_mels == 96
    model = from_preset("byola_d1024")
    assert _embed(model).shape == (2, 1024) and np.isfinite(_embed(model)).all()


def test_a_full_disk_or_an_interrupted_save_keeps_the_previous_preset(tmp_path, monkeypatch):
    from keras_audio_ssl.atomic_write import NoSpaceLeftError
    from tests.small_disk import fill
    from tests.small_disk import small_disk

    model = _trained_like_model()
    with small_disk(tmp_path / "disk", megabytes=8) as disk:
        preset = os.path.join(disk, "mine")
        save_to_preset(model, preset)
        before = {name: open(os.path.join(preset, name), "rb").read() for name in os.listdir(preset)}
        fill(disk, leave_bytes=16 << 10)
        # Refused before h5py writes: a failed HDF5 write makes the interpreter segfault at exit.
        with pytest.raises(NoSpaceLeftError, match="no space left"):
            save_to_preset(model, preset)
        assert {name: open(os.path.join(preset, name), "rb").read() for name in os.listdir(preset)} == before
        assert sorted(os.listdir(disk)) == ["filler.bin", "mine"]

    preset = tmp_path / "p"
    save_to_preset(model, preset)
    before = {name: (preset / name).read_bytes() for name in os.listdir(preset)}

    def interrupted(self, filepath, *args, **kwargs):
        open(filepath, "wb").write(b"half")
        raise KeyboardInterrupt

    monkeypatch.setattr(keras.Model, "save_weights", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save_to_preset(model, preset)
    assert {name: (preset / name).read_bytes() for name in os.listdir(preset)} == before
    assert sorted(os.listdir(tmp_path)) == ["disk", "p"]
