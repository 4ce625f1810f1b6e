"""`TrainingSettings` (validated and documented once) and the schema every recipe, preset and search reads."""

import inspect
import json

import pytest

from keras_audio_ssl.recipes import cola
from keras_audio_ssl.recipes import schema
from keras_audio_ssl.recipes.settings import TrainingSettings


@pytest.mark.parametrize("kwargs, match", [
    (dict(output_dir=""), "output_dir"), (dict(epochs=0), "epochs=0"), (dict(learning_rate=0), "learning_rate=0"),
    (dict(seed=1.5), "seed=1.5"), (dict(verbose=3), "verbose=3"), (dict(encoder="nope"), "encoder='nope'"),
    (dict(steps_per_epoch=-1), "steps_per_epoch=-1"), (dict(dtype_policy="float8"), "float8"),
])
def test_bad_settings_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TrainingSettings(**{"output_dir": "runs/x", **kwargs})


def test_every_field_is_documented_and_the_config_is_json():
    assert set(TrainingSettings.docs()) == set(TrainingSettings.defaults())
    config = TrainingSettings(output_dir="runs/x", initial_encoder="runs/old").to_config()
    assert json.loads(json.dumps(config))["initial_encoder"] == "runs/old"


def test_recipe_defaults_are_the_papers_and_help_shows_each_with_its_default():
    d = schema.defaults("cola")
    assert (d["encoder"], d["batch_size"], d["learning_rate"], d["similarity"]) == ("efficientnet_b0_cola", 1024,
                                                                                   1e-4, "bilinear")
    assert schema.defaults("multi_strategy")["encoder"] == "efficientnet_b0"
    assert schema.defaults("simclr")["encoder"] == "resnet18" and schema.defaults("simclr")["n_mels"] == 96
    parameters = inspect.signature(cola.fit).parameters
    assert {name: parameters[name].default for name in d} == d
    for name, value in d.items():
        assert f"{name}: " in cola.fit.__doc__ and f"Default: {value!r}." in cola.fit.__doc__
    assert "(undocumented)" not in cola.fit.__doc__
    with pytest.raises(ValueError, match="Received: feature_width=8"):
        cola.fit("x", output_dir="runs/x", feature_width=8)
