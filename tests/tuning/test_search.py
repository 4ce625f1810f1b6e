"""End-to-end searches on tiny data: trials, resume after an interruption, the tables and the best preset."""

import json
import os

import keras
import numpy as np
import pandas as pd
import pytest

from keras_audio_ssl.recipes import byola
from keras_audio_ssl.recipes import cli
from keras_audio_ssl.recipes import multi_strategy
from keras_audio_ssl.recipes.presets import recipe_defaults
from keras_audio_ssl.tuning import PretrainingHyperModel
from keras_audio_ssl.tuning import make_oracle
from keras_audio_ssl.tuning import search
from keras_audio_ssl.tuning.tuner import DownstreamTuner
from tests.tuning.conftest import TINY_BYOLA
from tests.tuning.conftest import TINY_PROBE

SPACE = {
    "learning_rate": {"type": "float", "min": 1e-4, "max": 1e-3, "sampling": "log"},
    "ema_decay": {"type": "float", "min": 0.9, "max": 0.999, "sampling": "reverse_log"},
}


class CountFits(keras.callbacks.Callback):
    """Counts `fit` calls; raises KeyboardInterrupt (like Ctrl-C) in the first batch of fit number `interrupt_at`."""

    def __init__(self, interrupt_at=None):
        super().__init__()
        self.fits = 0
        self.interrupt_at = interrupt_at

    def on_train_begin(self, logs=None):
        self.fits += 1

    def on_train_batch_begin(self, batch, logs=None):
        if self.fits == self.interrupt_at:
            raise KeyboardInterrupt


def _search(output_dir, pool, tasks, max_trials, callbacks=(), **kwargs):
    kwargs = {"space": SPACE, "epochs": 1, **kwargs}
    return search("byola", pool, tasks, output_dir, fixed=TINY_BYOLA, max_trials=max_trials, probe=TINY_PROBE,
                  seed=3, callbacks=list(callbacks), **kwargs)


def _table(output_dir):
    return pd.read_csv(os.path.join(output_dir, "trials.csv"), dtype={"trial": str}, keep_default_na=False)


def _run_config(output_dir, trial):
    with open(os.path.join(output_dir, f"trial_{trial}", "run", "config.json")) as f:
        return json.load(f)


def test_search_resumes_after_an_interruption_without_retraining_finished_trials(tmp_path, pool, task_csvs):
    out = str(tmp_path / "search")
    # 1. Interrupted in the second trial's pretraining (Ctrl-C).
    counter = CountFits(interrupt_at=2)
    with pytest.raises(KeyboardInterrupt):
        _search(out, pool, task_csvs, max_trials=2, callbacks=[counter])
    table = _table(out)
    assert list(table["status"]) == ["completed", "interrupted"]
    interrupted = table.iloc[1]
    first_config_mtime = os.path.getmtime(os.path.join(out, "trial_0", "run", "config.json"))

    # 2. The same command again: only the interrupted trial runs, with the values it was drawn with.
    counter = CountFits()
    tuner = _search(out, pool, task_csvs, max_trials=2, callbacks=[counter])
    assert counter.fits == 1
    table = _table(out)
    assert list(table["status"]) == ["completed", "completed"]
    assert table.iloc[1]["learning_rate"] == pytest.approx(interrupted["learning_rate"])
    assert os.path.getmtime(os.path.join(out, "trial_0", "run", "config.json")) == first_config_mtime

    # 3. A larger max_trials adds exactly the missing trial.
    counter = CountFits()
    tuner = _search(out, pool, task_csvs, max_trials=3, callbacks=[counter])
    assert counter.fits == 1
    table = _table(out)
    assert list(table["trial"]) == ["0", "1", "2"] and set(table["status"]) == {"completed"}
    assert os.path.getmtime(os.path.join(out, "trial_0", "run", "config.json")) == first_config_mtime

    # Each trial pretrained with its own drawn values, for the search's budget.
    for _, row in table.iterrows():
        config = _run_config(out, row["trial"])
        assert config["status"] == "finished" and config["epochs_finished"] == 1
        assert config["learning_rate"] == pytest.approx(row["learning_rate"])
        assert config["ema_decay"] == pytest.approx(row["ema_decay"])
        assert config["feature_d"] == TINY_BYOLA["feature_d"]
        assert 1e-4 <= row["learning_rate"] <= 1e-3 and 0.9 <= row["ema_decay"] <= 0.999
    assert len(set(table["learning_rate"])) == 3
    # The score is the mean over the two tasks' linear-probe accuracies.
    task_columns = [c for c in table.columns if c.startswith("score:")]
    assert task_columns == ["score:classes", "score:tonal"]
    np.testing.assert_allclose(table["score"], table[task_columns].mean(axis=1), rtol=1e-6)
    assert ((table["score"] >= 0) & (table["score"] <= 1)).all() and (table["seconds"] > 0).all()
    with open(os.path.join(out, "trials.md")) as f:
        markdown = f.read()
    header = next(line for line in markdown.splitlines() if line.startswith("| trial"))
    assert [c.strip() for c in header.strip("|").split("|")][:7] == [
        "trial", "status", "learning_rate", "ema_decay", "score", "seconds", "error"]

    # The best preset is the best trial's settings, in the recipe's --config format.
    best = table.loc[table["score"].idxmax()]
    data, _, config = cli.parse_args(byola.fit, ["--config", os.path.join(out, "best_preset.json"), "--data", "pool/"])
    assert data == "pool/"
    assert config["learning_rate"] == pytest.approx(best["learning_rate"])
    assert config["ema_decay"] == pytest.approx(best["ema_decay"])
    assert {k: config[k] for k in TINY_BYOLA} == TINY_BYOLA and config["epochs"] == 1
    assert tuner.best_trial().trial_id == best["trial"]
    (model,) = tuner.get_best_models(1)  # the best trial's waveform -> embedding model
    assert model.predict(pool[:2], verbose=0).shape == (2, TINY_BYOLA["feature_d"])

    # Resuming with another space is refused, naming what changed.
    with pytest.raises(ValueError, match="space"):
        _search(out, pool, task_csvs, max_trials=4, space={"mixup_ratio": {"type": "float", "min": 0.1, "max": 0.5}})


@pytest.mark.large  # three trials, one promoted to a second epoch; the resume test above searches by default
def test_hyperband_continues_the_run_directory_of_the_trial_it_promotes(tmp_path, pool, task_csvs):
    out = str(tmp_path / "hyperband")
    # max_epochs 2, factor 2: the first bracket runs two trials for 1 epoch, then the better one to 2 epochs.
    tuner = _search(out, pool, task_csvs, max_trials=3, oracle="hyperband", epochs=2, factor=2)
    table = _table(out)
    assert list(table["status"]) == ["completed"] * 3
    assert list(table["epochs"]) == [1, 1, 2]
    parent = table.iloc[2]["continues"]
    assert parent == table.iloc[:2].loc[table.iloc[:2]["score"].idxmax(), "trial"]
    assert table.iloc[2]["learning_rate"] == pytest.approx(table.set_index("trial").loc[parent, "learning_rate"])
    # The promoted trial continued its parent's run: the first epoch of its history is the parent's.
    child = pd.read_csv(os.path.join(out, "trial_2", "run", "history.csv"))
    mother = pd.read_csv(os.path.join(out, f"trial_{parent}", "run", "history.csv"))
    assert list(child["epoch"]) == [0, 1] and list(mother["epoch"]) == [0]
    assert child["loss"].iloc[0] == pytest.approx(mother["loss"].iloc[0])
    assert _run_config(out, parent)["epochs_finished"] == 1  # the parent's own run is left as it was
    assert tuner.best_preset()["method"] == "byola"


def test_bayesian_oracle_draws_trials_inside_the_space(tmp_path, task_csvs):
    hypermodel = PretrainingHyperModel("multi_strategy", {
        "learning_rate": {"type": "float", "min": 1e-5, "max": 1e-3, "sampling": "log"},
        "factor_range_max": {"type": "float", "min": 1.05, "max": 1.3},
        "similarity": {"type": "choice", "values": ["bilinear", "cosine"]},
    }, fixed={"feature_d": 16})
    tuner = DownstreamTuner(hypermodel, make_oracle("bayesian", max_trials=3, seed=5), task_csvs,
                            directory=str(tmp_path), project_name="bayes")
    trial = tuner.oracle.create_trial("tuner0")
    settings = tuner.trial_settings(trial)
    assert 1e-5 <= settings["learning_rate"] <= 1e-3 and settings["similarity"] in ("bilinear", "cosine")
    low, high = settings["factor_range"]
    assert low == recipe_defaults(multi_strategy.fit)["factor_range"][0] and 1.05 <= high <= 1.3
    assert settings["feature_d"] == 16


def test_the_oracle_seed_makes_the_draws_reproducible(tmp_path, task_csvs):
    def first_values(name):
        hypermodel = PretrainingHyperModel("byola", SPACE, fixed={"feature_d": 16})
        tuner = DownstreamTuner(hypermodel, make_oracle("random", max_trials=3, seed=7), task_csvs,
                                directory=str(tmp_path), project_name=name)
        return [tuner.oracle.create_trial(f"tuner{i}").hyperparameters.values for i in range(2)]

    first, again = first_values("a"), first_values("b")
    assert first == again and first[0] != first[1]
    with pytest.raises(ValueError, match="reads 0 as no seed"):
        make_oracle("random", seed=0)
