"""Search spaces as data: names checked against the recipe's fit(), pairs mapped to tuples, specs validated."""

import glob
import json
import os
import warnings

import keras_tuner
import pytest

from keras_audio_ssl.recipes import byola
from keras_audio_ssl.tuning import DEFAULT_SPACES
from keras_audio_ssl.tuning import PretrainingHyperModel
from keras_audio_ssl.tuning import default_space
from keras_audio_ssl.tuning import fit_settings
from keras_audio_ssl.tuning import load_search_file
from keras_audio_ssl.tuning import search
from keras_audio_ssl.tuning.space import check_space
from keras_audio_ssl.tuning.space import fit_defaults
from keras_audio_ssl.tuning.space import recipe_fit

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LR = {"type": "float", "min": 1e-4, "max": 1e-3, "sampling": "log"}


def test_an_unknown_hyperparameter_is_named_with_the_accepted_ones():
    with pytest.raises(ValueError) as info:
        PretrainingHyperModel("byola", {"learning_rate": LR, "mixup_rate": {"type": "float", "min": 0, "max": 1}})
    message = str(info.value)
    assert "'mixup_rate'" in message and "byola accepts" in message
    assert "'mixup_ratio'" in message and "'ema_decay'" in message  # the accepted ones are listed
    with pytest.raises(ValueError, match="'output_dir' is set by the tuner"):
        PretrainingHyperModel("cola", {"output_dir": {"type": "fixed", "value": "x"}})
    with pytest.raises(ValueError, match=r"Unknown setting\(s\) \['feature_dim'\]"):
        PretrainingHyperModel("simclr", {"temperature": LR}, fixed={"feature_dim": 16})


def test_search_rejects_an_unknown_name_before_any_training(tmp_path, pool, task_csvs):
    out = tmp_path / "search"
    with pytest.raises(ValueError, match="'tau'.*simclr accepts"):
        search("simclr", pool, task_csvs, str(out), space={"tau": {"type": "float", "min": 0.1, "max": 0.5}})
    assert not glob.glob(str(out / "trial_*"))


@pytest.mark.parametrize("spec, match", [
    ({"type": "float", "min": 1.0, "max": 0.5}, "min must be below max"),
    ({"type": "float", "min": 0.0, "max": 0.5, "sampling": "log"}, "log sampling needs min > 0"),
    ({"type": "float", "min": 0.1, "max": 0.5, "sampeling": "log"}, r"not \['sampeling'\]"),
    ({"type": "int", "min": 1.5, "max": 4}, "'min' must be an integer"),
    ({"type": "choice", "values": [0.1, "cosine"]}, "all be numbers, all strings"),
    ({"type": "choice", "values": []}, "non-empty list"),
    ({"type": "fixed"}, "needs a 'value'"),
    ({"type": "uniform", "min": 0, "max": 1}, "needs a spec object with a type"),
])
def test_malformed_specs_are_refused_naming_the_hyperparameter(spec, match):
    with pytest.raises(ValueError, match=match) as info:
        check_space({"temperature": spec}, recipe_fit("cola"))
    assert "'temperature'" in str(info.value)


def test_pair_settings_are_tuned_as_two_scalars():
    fit = recipe_fit("multi_strategy")
    settings = fit_settings({"factor_range_min": 0.9, "learning_rate": 2e-4, "tuner/epochs": 3}, fit)
    assert settings == {"factor_range": (0.9, 1.2), "learning_rate": 2e-4}  # the other half: fit()'s default
    settings = fit_settings({"factor_range_max": 1.1}, fit, fixed={"factor_range": (0.7, 1.3), "feature_d": 8})
    assert settings == {"factor_range": (0.7, 1.1), "feature_d": 8}  # ... or the fixed one
    with pytest.raises(ValueError, match="both whole and as halves"):
        check_space({"factor_range": {"type": "fixed", "value": [0.8, 1.2]},
                     "factor_range_max": {"type": "float", "min": 1.1, "max": 1.3}}, fit)
    with pytest.raises(ValueError, match="both searched and fixed"):
        check_space({"learning_rate": LR}, fit, fixed={"learning_rate": 1e-4})


def test_virtual_crop_scale_is_a_frequency_time_pair():
    # BYOL-A's Random Resize Crop settings: virtual_crop_scale=(1.0, 1.5), freq_scale=(0.6, 1.5).
    settings = fit_settings({"virtual_crop_scale_time": 1.8, "freq_scale_max": 1.2}, byola.fit)
    assert settings == {"virtual_crop_scale": (1.0, 1.8), "freq_scale": (0.6, 1.2)}
    with pytest.raises(ValueError, match="'virtual_crop_scale_max'.*'virtual_crop_scale_freq'"):
        fit_settings({"virtual_crop_scale_max": 1.8}, byola.fit)


def test_byola_random_resize_crop_ranges_map_to_its_fit_arguments():
    settings = fit_settings({"freq_scale_min": 0.5, "freq_scale_max": 1.4, "virtual_crop_scale_time": 1.8},
                            byola.fit)
    assert settings["freq_scale"] == (0.5, 1.4)
    assert settings["virtual_crop_scale"] == (fit_defaults(byola.fit)["virtual_crop_scale"][0], 1.8)


def test_default_spaces_are_declared_for_every_method_and_match_their_fit():
    for method, declared in DEFAULT_SPACES.items():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            space = default_space(method)
        left_out = sorted(set(declared) - set(space))
        if left_out:  # only what fit() does not take (yet), and said so
            assert method == "byola" and not BYOLA_HAS_RRC, (method, left_out)
            assert all(name in str(caught[0].message) for name in left_out)
        hp = keras_tuner.HyperParameters()
        settings = PretrainingHyperModel(method, space).build(hp)
        assert set(hp.values) == set(space)
        assert set(settings) <= set(fit_defaults(recipe_fit(method)))
    assert {"mixup_ratio", "learning_rate", "ema_decay", "freq_scale_max", "virtual_crop_scale_time"} <= set(
        DEFAULT_SPACES["byola"])
    assert {"temperature", "mix_back_alpha", "augmentation"} <= set(DEFAULT_SPACES["simclr"])


def test_tuning_presets_load_and_match_their_recipe():
    presets = sorted(glob.glob(os.path.join(REPO, "recipes", "tuning_*.json")))
    assert presets
    for path in presets:
        content = load_search_file(path)
        hypermodel = PretrainingHyperModel(content["method"], content["space"], content.get("fixed"))
        assert set(hypermodel.build(keras_tuner.HyperParameters())) >= set(content.get("fixed", {}))


def test_a_bare_space_file_and_a_preset_both_load(tmp_path):
    bare = tmp_path / "space.json"
    bare.write_text(json.dumps({"_comment": "x", "temperature": {"type": "float", "min": 0.1, "max": 0.5}}))
    assert load_search_file(str(bare)) == {"space": {"_comment": "x", "temperature": {
        "type": "float", "min": 0.1, "max": 0.5}}}
    assert list(check_space(load_search_file(str(bare))["space"], recipe_fit("cola"))) == ["temperature"]
    with pytest.raises(ValueError, match="not found"):
        load_search_file(str(tmp_path / "missing.json"))
