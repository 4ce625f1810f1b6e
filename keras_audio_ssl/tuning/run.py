"""`search()`: one call from a method, a space and downstream tasks to a trials table and a best preset."""

import os

import keras_tuner

from keras_audio_ssl.tuning.hypermodel import PretrainingHyperModel
from keras_audio_ssl.tuning.tuner import OBJECTIVE
from keras_audio_ssl.tuning.tuner import DownstreamTuner

ORACLES = ("random", "bayesian", "hyperband")
#: Epochs of a trial when neither `epochs` nor the space says (a short budget).
DEFAULT_EPOCHS = 5


def make_oracle(name, *, max_trials=10, max_epochs=None, factor=3, hyperband_iterations=1, seed=None,
                max_consecutive_failed_trials=3, max_retries_per_trial=0):
    """A Keras Tuner oracle maximising the downstream `"score"`.

    Args:
        name: `"random"` (RandomSearch), `"bayesian"` (BayesianOptimization, a
            Gaussian process) or `"hyperband"`.
        max_trials: trials to run; with Hyperband an optional cap (`None`: its
            whole schedule).
        max_epochs: Hyperband's largest epochs budget of one trial.
        factor: Hyperband's reduction factor.
        hyperband_iterations: Hyperband's sweeps over its brackets.
        seed: the oracle's random seed, a positive integer (Keras Tuner reads 0 as
            "no seed"), or None for a random one.
        max_consecutive_failed_trials: the search stops after this many failed
            trials in a row.
        max_retries_per_trial: reruns of a trial that crashed without being
            marked failed (a trial whose pretraining or scoring raises is marked
            failed at once).

    Returns:
        A `keras_tuner.Oracle`.
    """
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 1):
        raise ValueError("The oracle's seed must be a positive integer or None (Keras Tuner reads 0 as no seed "
                         f"and draws a random one). Received: seed={seed!r}")
    objective = keras_tuner.Objective(OBJECTIVE, direction="max")
    common = dict(objective=objective, seed=seed, max_retries_per_trial=max_retries_per_trial,
                  max_consecutive_failed_trials=max_consecutive_failed_trials)
    if name == "random":
        return keras_tuner.oracles.RandomSearchOracle(max_trials=max_trials, **common)
    if name == "bayesian":
        return keras_tuner.oracles.BayesianOptimizationOracle(max_trials=max_trials, **common)
    if name == "hyperband":
        if not isinstance(max_epochs, int) or max_epochs < 1:
            raise ValueError(f"Hyperband needs max_epochs, a positive integer. Received: max_epochs={max_epochs!r}")
        oracle = keras_tuner.oracles.HyperbandOracle(max_epochs=max_epochs, factor=factor,
                                                     hyperband_iterations=hyperband_iterations, **common)
        oracle.max_trials = max_trials  # Oracle.create_trial stops at max_trials: a cap on the schedule
        return oracle
    raise ValueError(f"Unknown oracle; expected one of {list(ORACLES)}. Received: oracle={name!r}")


def search(method, data, tasks, output_dir, *, space=None, fixed=None, oracle="random", max_trials=10, epochs=None,
           minutes=None, executions=1, seed=1, probe=None, factor=3, hyperband_iterations=1,
           max_consecutive_failed_trials=3, overwrite=False, callbacks=None, fit_verbose=0, verbose=1):
    """Searches pretraining settings of `method`, scoring each trial on downstream tasks.

    Every trial pretrains `recipes.<method>.fit` for a short budget with
    settings drawn from `space` into `output_dir/trial_<id>/run`, and is
    scored by the mean linear-probe score over `tasks`. Calling `search` again
    with the same `output_dir` (and a larger `max_trials`) resumes: finished
    trials are kept, an interrupted one continues its run directory. After
    every trial `output_dir` holds `trials.csv`, `trials.md` and
    `best_preset.json` (see `tuner.DownstreamTuner`).

    Args:
        method: `"byola"`, `"cola"`, `"simclr"` or `"multi_strategy"`.
        data: the pretraining data (what the recipe's `fit()` takes).
        tasks: benchmark folders / manifest CSVs (`evaluation.load_tasks`) or
            `DownstreamDataset`s.
        output_dir: the search folder.
        space: dict name -> spec (`tuning.space`); `None`: the method's default.
        fixed: `fit()` settings of every trial (not `epochs`: see `epochs`).
        oracle: `"random"`, `"bayesian"` or `"hyperband"`.
        max_trials: trials to run (with Hyperband: an optional cap).
        epochs: pretraining epochs of a trial (`DEFAULT_EPOCHS` if neither this
            nor the space says); with Hyperband its `max_epochs`.
        minutes: pretraining time budget of a trial (no new epoch once it would
            be exceeded); `None`: none.
        executions: pretraining runs per trial (the fit() seed s, then s + 1,
            ...), their scores averaged.
        seed: the oracle's seed (a positive integer; None: random).
        probe: linear-probe settings (`tuner.DEFAULT_PROBE`).
        factor: Hyperband's reduction factor.
        hyperband_iterations: Hyperband's sweeps.
        max_consecutive_failed_trials: stop after this many failures in a row.
        overwrite: delete an existing search in `output_dir` first.
        callbacks: extra Keras callbacks for every trial's `fit()`.
        fit_verbose: the `verbose` of every trial's `fit()`.
        verbose: 1 prints one line per trial.

    Returns:
        The `DownstreamTuner` after the search: `trials_table()`, `best_preset()`,
        `get_best_hyperparameters()`, `get_best_models()` (embedding models).

    Raises:
        ValueError: an unknown hyperparameter or setting (named, with the
            accepted ones), a malformed space, or a resume with other settings.
        RuntimeError: `max_consecutive_failed_trials` trials failed in a row.

    Example:
    >>> tuner = search("byola", "pool.csv", ["bench/instrument.csv"], "runs/tune_byola",
    ...                space={"learning_rate": {"type": "float", "min": 1e-4, "max": 1e-3, "sampling": "log"}},
    ...                fixed={"feature_d": 512, "batch_size": 64}, max_trials=8, epochs=10)  # doctest: +SKIP
    >>> tuner.trials_table()  # doctest: +SKIP
    """
    fixed = dict(fixed or {})
    is_path = isinstance(data, (str, os.PathLike)) and not any(c in os.fspath(data) for c in "*?[")  # not a glob
    if is_path and not os.path.exists(data):
        raise ValueError(f"Pretraining data not found. Received: data={os.fspath(data)!r}")
    if "epochs" in fixed:
        raise ValueError(f"Give a trial's epochs as epochs=, not as a fixed setting. Received: fixed={fixed}")
    if oracle not in ORACLES:
        raise ValueError(f"Unknown oracle; expected one of {list(ORACLES)}. Received: oracle={oracle!r}")
    in_space = space is not None and "epochs" in space
    if oracle == "hyperband":
        max_epochs = DEFAULT_EPOCHS if epochs is None else epochs
    else:
        if in_space and epochs is not None:
            raise ValueError(f"epochs is searched (in the space) and given as epochs={epochs}: keep one. "
                             f"Received: epochs={epochs}")
        if not in_space:
            fixed["epochs"] = DEFAULT_EPOCHS if epochs is None else epochs
        max_epochs = None
    hypermodel = PretrainingHyperModel(method, space, fixed)
    the_oracle = make_oracle(oracle, max_trials=max_trials, max_epochs=max_epochs, factor=factor,
                             hyperband_iterations=hyperband_iterations, seed=seed,
                             max_consecutive_failed_trials=max_consecutive_failed_trials)
    output_dir = os.path.abspath(os.fspath(output_dir))
    tuner = DownstreamTuner(
        hypermodel, the_oracle, tasks, directory=os.path.dirname(output_dir), project_name=os.path.basename(output_dir),
        probe=probe, minutes=minutes, callbacks=callbacks, fit_verbose=fit_verbose, verbose=verbose,
        overwrite=overwrite, executions_per_trial=executions,
    )
    tuner.search(data)
    return tuner
