"""`methods.get` / `names` / `register`: the one list of methods, and what each class declares."""

import pytest

from keras_audio_ssl import methods


def test_the_four_methods_are_listed_with_their_classes():
    assert {"byola", "cola", "multi_strategy", "simclr"} <= set(methods.names())  # (+ any a test registered)
    assert methods.get("byola").load() is methods.BYOLA
    assert methods.get("cola").load() is methods.COLA and methods.COLA.SEGMENTS_PER_CLIP == 2
    assert methods.get("simclr").load() is methods.SimCLRAudio
    assert methods.get("multi_strategy").load() is methods.MultiStrategy
    with pytest.raises(ValueError, match="Received: method='byol'"):
        methods.get("byol")


def test_hyperparameters_are_the_constructor_defaults_and_state_shaping_names_them():
    byola = methods.BYOLA.hyperparameters()
    assert (byola["mixup_ratio"], byola["memory_size"], byola["ema_decay"], byola["n_mels"]) == (0.4, 2048, 0.99, 64)
    assert "encoder" not in byola and "seed" not in byola and "front_end" not in byola
    assert methods.COLA.hyperparameters()["projection_dim"] == 512 and "n_mels" in methods.COLA.hyperparameters()
    for name in ("byola", "cola", "simclr", "multi_strategy"):
        cls = methods.get(name).load()
        assert set(cls.STATE_SHAPING) <= set(cls.hyperparameters()), name


def test_a_method_registers_from_outside_the_package():
    entry = methods.get("tests.toy.simsiam:simsiam")
    assert entry.name == "simsiam" and "simsiam" in methods.names()
    assert entry.load().hyperparameters()["projection_dim"] == 64 and entry.overrides()["feature_d"] == 32
    with pytest.raises(ValueError, match="Cannot import"):
        methods.get("tests.no_such_module:simsiam")
