"""`DownstreamTuner`: each trial pretrains a method for a short budget and scores it by linear probes.

The search folder (`directory/project_name`) holds Keras Tuner's state and one
folder per trial:

    oracle.json, tuner0.json    Keras Tuner's state (a rerun with `overwrite=False` resumes the search)
    search.json                 method, space, fixed settings, oracle, tasks and probe of the search
    trial_<id>/trial.json       Keras Tuner's record of the trial
    trial_<id>/run/             the trial's run directory (`recipes.run`); run_1/, ... for more executions
    trial_<id>/summary.json     status, score (per task, per execution), seconds, error, the trial's fit() settings
    trial_<id>/error.txt        the traceback of a failed trial
    trials.csv, trials.md       one row per trial (rewritten after every trial)
    best_preset.json            the best trial's settings as a recipe preset (`--config`)

A trial interrupted mid-pretraining is run again when the search is resumed,
and its run directory continues from its last finished epoch; finished trials
are not retrained. A trial whose pretraining or scoring raises (a divergence,
a setting out of range) is recorded as failed with its error and the search
goes on, up to `max_consecutive_failed_trials` failures in a row (the oracle's).
"""

import math
import os
import shutil
import time
import traceback

import keras
import keras_tuner
import numpy as np
import pandas as pd

from keras_audio_ssl import atomic_write
from keras_audio_ssl.recipes import run_state
from keras_audio_ssl.recipes.callbacks import TimeBudget
from keras_audio_ssl.tuning import space as space_lib

OBJECTIVE = "score"

#: Probe settings of the score (the BYOL-A linear protocol, `evaluation.tasks.run_task`).
DEFAULT_PROBE = dict(runs=3, seed=0, epochs=200, patience=10, learning_rate=1e-3, normalize_with="downstream",
                     batch_size=32, max_seconds=None)


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _error_line(error):
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _format_value(value):
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


class DownstreamTuner(keras_tuner.Tuner):
    """Keras Tuner over pretraining settings, scored by downstream linear probes.

    Each trial pretrains `hypermodel` (a `PretrainingHyperModel`) with the
    trial's settings into the trial's run directory, loads the run's
    waveform -> embedding model (`encoders.load_embedding_model`) and scores it
    with `evaluation.evaluate_tasks` (linear probe, BYOL-A protocol) on
    `tasks`: the trial's score is the mean of the tasks' scores (accuracy for
    single-label tasks; mAP for multi-label ones), averaged over
    `executions_per_trial` pretraining runs (seeds `seed`, `seed + 1`, ...).
    The objective is `"score"`, direction max.

    With a Hyperband oracle a trial's epochs are the oracle's `tuner/epochs`;
    a trial that continues an earlier one (`tuner/trial_id`) starts from a
    copy of that trial's run directory, which `fit()` continues.

    Args:
        hypermodel: a `PretrainingHyperModel`.
        oracle: a Keras Tuner oracle whose objective is `"score"` (max); see
            `search.make_oracle`.
        tasks: downstream tasks: `DownstreamDataset`s, or sources for
            `evaluation.load_tasks` (benchmark folders, manifest CSVs).
        directory: the folder holding the search folder.
        project_name: the search folder's name.
        probe: probe settings over `DEFAULT_PROBE` (`runs`, `seed`, `epochs`,
            `patience`, `learning_rate`, `normalize_with`, `batch_size`,
            `max_seconds`).
        minutes: pretraining budget of one trial (no new epoch is started
            once it would be exceeded); `None`: the epochs alone.
        callbacks: extra Keras callbacks for every trial's `fit()`.
        fit_verbose: the `verbose` of every trial's `fit()`.
        verbose: 1 prints one line per trial, 0 nothing.
        overwrite: start over, deleting an existing search folder.
        executions_per_trial: pretraining runs per trial (different seeds).

    Raises:
        ValueError: resuming a search folder with another method, space, fixed
            settings, oracle, tasks or probe (naming what changed).
    """

    def __init__(self, hypermodel, oracle, tasks, *, directory, project_name, probe=None, minutes=None,
                 callbacks=None, fit_verbose=0, verbose=1, overwrite=False, executions_per_trial=1, **kwargs):
        from keras_audio_ssl.evaluation import load_tasks

        if oracle.objective.name != OBJECTIVE or oracle.objective.direction != "max":
            raise ValueError(f"The oracle's objective must be keras_tuner.Objective({OBJECTIVE!r}, 'max'). "
                             f"Received: objective={oracle.objective}")
        unknown = sorted(set(probe or {}) - set(DEFAULT_PROBE))
        if unknown:
            raise ValueError(f"Unknown probe setting(s) {unknown}; expected some of {sorted(DEFAULT_PROBE)}. "
                             f"Received: probe={probe}")
        if minutes is not None and not (isinstance(minutes, (int, float)) and minutes > 0):
            raise ValueError(f"minutes must be a positive number or None. Received: minutes={minutes!r}")
        if not isinstance(executions_per_trial, int) or executions_per_trial < 1:
            raise ValueError(f"executions_per_trial must be a positive integer. "
                             f"Received: executions_per_trial={executions_per_trial!r}")
        self.probe = {**DEFAULT_PROBE, **(probe or {})}
        self.tasks = [t for t in tasks if not isinstance(t, (str, os.PathLike))]
        sources = [t for t in tasks if isinstance(t, (str, os.PathLike))]
        self.tasks += load_tasks(sources) if sources else []
        if not self.tasks:
            raise ValueError(f"The search needs at least one downstream task. Received: tasks={tasks}")
        self.minutes = minutes
        self.extra_callbacks = list(callbacks or [])
        self.fit_verbose = fit_verbose
        self.verbose = verbose
        self._hyperband = isinstance(oracle, keras_tuner.oracles.HyperbandOracle)
        if self._hyperband and ("epochs" in hypermodel.fixed or "epochs" in hypermodel.space):
            raise ValueError("With a Hyperband oracle the epochs of each trial are the oracle's (max_epochs): "
                             "leave epochs out of the fixed settings and the space. "
                             f"Received: fixed={hypermodel.fixed}")
        search_dir = os.path.join(os.fspath(directory), project_name)
        self._check_same_search(search_dir, self._description(hypermodel, oracle, executions_per_trial), overwrite)
        super().__init__(oracle, hypermodel=hypermodel, directory=directory, project_name=project_name,
                         overwrite=overwrite, executions_per_trial=executions_per_trial, **kwargs)
        run_state.write_json_atomic(os.path.join(self.project_dir, "search.json"), self._search_description)

    # -- the search's identity ------------------------------------------------------------------

    def _description(self, hypermodel, oracle, executions):
        oracle_config = {"class": type(oracle).__name__}
        for name in ("max_epochs", "factor", "hyperband_iterations", "num_initial_points", "alpha", "beta"):
            if hasattr(oracle, name):
                oracle_config[name] = getattr(oracle, name)
        return _jsonable({
            "method": hypermodel.method,
            "space": hypermodel.space,
            "fixed": hypermodel.fixed,
            "oracle": oracle_config,
            "tasks": [t.name for t in self.tasks],
            "probe": self.probe,
            "minutes": self.minutes,
            "executions_per_trial": executions,
        })

    def _check_same_search(self, search_dir, description, overwrite):
        self._search_description = description
        previous = None if overwrite else run_state.read_json(os.path.join(search_dir, "search.json"))
        if not previous:
            return
        changed = sorted(k for k in description if previous.get(k) != description[k])
        if changed:
            details = "; ".join(f"{k}: {previous.get(k)!r} -> {description[k]!r}" for k in changed)
            raise ValueError(
                f"The search in {search_dir} was started with other settings ({details}). Resume it with the "
                "same ones (only max_trials may grow), use another output directory, or pass overwrite=True "
                f"(--overwrite) to start over. Received: {', '.join(changed)}"
            )

    # -- trials ---------------------------------------------------------------------------------

    def run_dir(self, trial_id, execution=0):
        """The run directory of a trial's `execution`."""
        name = "run" if execution == 0 else f"run_{execution}"
        return os.path.join(self.get_trial_dir(trial_id), name)

    def trial_settings(self, trial):
        """The `fit()` settings a trial runs with (its epochs from Hyperband's `tuner/epochs`)."""
        settings = self.hypermodel.settings(trial.hyperparameters.values)
        if "tuner/epochs" in trial.hyperparameters.values:
            settings["epochs"] = int(trial.hyperparameters.values["tuner/epochs"])
        return settings

    def _summary_path(self, trial_id):
        return os.path.join(self.get_trial_dir(trial_id), "summary.json")

    def _continue_from(self, trial, execution):
        """A Hyperband trial continuing `tuner/trial_id` starts from a copy of its run directory."""
        parent = trial.hyperparameters.values.get("tuner/trial_id")
        run_dir = self.run_dir(trial.trial_id, execution)
        if parent is None or os.path.exists(run_dir):
            return parent
        source = self.run_dir(parent, execution)
        if os.path.isdir(source):
            atomic_write.remove_leftovers(os.path.dirname(run_dir))  # a copy a killed search left half-done
            with atomic_write.replacing(run_dir, directory=True) as partial:
                shutil.copytree(source, partial, dirs_exist_ok=True)
        return parent

    def _pretrain(self, trial, settings, data, execution, done):
        run_dir = self.run_dir(trial.trial_id, execution)
        key = os.path.basename(run_dir)
        config = run_state.read_json(os.path.join(run_dir, "config.json")) or {}
        if key in done and config.get("status") == "finished":
            return done[key]  # pretrained before an interruption during scoring: not again
        callbacks = list(self.extra_callbacks)
        if self.minutes is not None:
            callbacks.append(TimeBudget(self.minutes))
        if execution:
            settings = dict(settings, seed=int(settings.get("seed", space_lib.fit_defaults(
                self.hypermodel.fit_fn)["seed"])) + execution)
        started = time.time()
        _, history = self.hypermodel.fit(trial.hyperparameters, settings, data, output_dir=run_dir,
                                         callbacks=callbacks, verbose=self.fit_verbose)
        done[key] = {"seconds": round(time.time() - started, 1), "epochs": len(history.epoch)}
        return done[key]

    def score_run(self, run_dir):
        """Mean linear-probe score of a run directory's embedding model over the tasks.

        Returns:
            `(score, {task: score})`.
        """
        from keras_audio_ssl.encoders import load_embedding_model
        from keras_audio_ssl.evaluation import evaluate_tasks

        probe = dict(self.probe)
        table = evaluate_tasks(load_embedding_model(run_dir), self.tasks, protocols=("linear",), **probe)
        per_task = {row["task"]: float(row["score"]) for _, row in table.iterrows()}
        return float(np.mean(list(per_task.values()))), per_task

    def run_trial(self, trial, data):
        """Pretrains and scores one trial; returns `{"score": mean score}`.

        Raises:
            keras_tuner.errors.FailedTrialError: pretraining or scoring raised (the
                trial is recorded as failed with the error; the search goes on).
        """
        started = time.time()
        summary_path = self._summary_path(trial.trial_id)
        previous = run_state.read_json(summary_path) or {}
        summary = {"trial": trial.trial_id, "status": "running", "pretrained": previous.get("pretrained", {})}
        try:
            settings = self.trial_settings(trial)
            summary["settings"] = _jsonable(settings)
            run_state.write_json_atomic(summary_path, summary)
            scores, per_task = [], {}
            for execution in range(self.executions_per_trial):
                summary["continues"] = self._continue_from(trial, execution)
                self._pretrain(trial, settings, data, execution, summary["pretrained"])
                run_state.write_json_atomic(summary_path, summary)
                score, tasks = self.score_run(self.run_dir(trial.trial_id, execution))
                scores.append(score)
                for name, value in tasks.items():
                    per_task.setdefault(name, []).append(value)
            score = float(np.mean(scores))
            if not math.isfinite(score):
                raise FloatingPointError(f"the downstream score is {score}")
        except Exception as error:
            summary.update(status="failed", error=_error_line(error), seconds=round(time.time() - started, 1))
            run_state.write_json_atomic(summary_path, summary)
            run_state.write_text_atomic(os.path.join(self.get_trial_dir(trial.trial_id), "error.txt"),
                                        traceback.format_exc())
            raise keras_tuner.errors.FailedTrialError(summary["error"]) from error
        finally:
            keras.backend.clear_session()
        summary.update(
            status="completed", score=score, execution_scores=scores,
            task_scores={k: float(np.mean(v)) for k, v in per_task.items()},
            seconds=round(time.time() - started, 1),
            epochs=summary["pretrained"].get("run", {}).get("epochs"),
        )
        run_state.write_json_atomic(summary_path, summary)
        return {OBJECTIVE: score}

    def load_model(self, trial):
        """The waveform -> embedding model of a trial's (first) run directory."""
        from keras_audio_ssl.encoders import load_embedding_model

        return load_embedding_model(self.run_dir(trial.trial_id))

    # -- search hooks ---------------------------------------------------------------------------

    def search(self, data, **kwargs):
        """Runs trials on the pretraining `data` until the oracle stops (writing the tables throughout).

        Args:
            data: what the recipe's `fit()` takes: a folder, a CSV manifest, a
                TFRecord glob, a list of paths, a `tf.data.Dataset` or an array.
        """
        from keras_tuner.src import config as tuner_config

        self.oracle.verbose = 0  # Keras Tuner's tables per trial: one line each instead (on_trial_end)
        debug, tuner_config.DEBUG = tuner_config.DEBUG, False  # failed trials' tracebacks go to error.txt
        try:
            super().search(data, **kwargs)
        except KeyboardInterrupt:
            if self.verbose:
                print(f"[tuning] interrupted: rerun the same search on {self.project_dir} to resume it", flush=True)
            raise
        finally:
            tuner_config.DEBUG = debug
            self.write_results()

    def on_search_begin(self):
        # The tuner's own file marks the project as resumable even if the first trial is interrupted.
        self.save()

    def on_trial_end(self, trial):
        try:
            super().on_trial_end(trial)
        finally:
            self.write_results()
            if self.verbose:
                print(self._progress_line(trial.trial_id), flush=True)

    def _progress_line(self, trial_id):
        row = self.trials_table().set_index("trial").loc[trial_id]
        values = " ".join(f"{name}={_format_value(row[name])}" for name in self.hypermodel.space
                          if name in row and not pd.isna(row[name]))
        score = "" if pd.isna(row["score"]) else f" score={row['score']:.4f}"
        seconds = "" if pd.isna(row["seconds"]) else f" {row['seconds']:.0f} s"
        error = f" error: {row['error']}" if row["error"] else ""
        return f"[tuning] trial {trial_id} {row['status']}{score}{seconds} {values}{error}".rstrip()

    # -- results --------------------------------------------------------------------------------

    def trials_table(self):
        """One row per trial: trial, status, each hyperparameter, score, seconds, error, then
        epochs, the trial continued (Hyperband) and each task's score."""
        rows = []
        names = list(self.hypermodel.space)
        for trial_id in sorted(self.oracle.trials, key=lambda t: int(t)):
            trial = self.oracle.trials[trial_id]
            summary = run_state.read_json(os.path.join(self.project_dir, f"trial_{trial_id}", "summary.json")) or {}
            status = str(trial.status).lower()
            if status in ("running", "idle"):
                status = "interrupted"  # the tables are written between trials: it was stopped mid-way
            error = summary.get("error") or ""
            if not error and trial.message:
                error = trial.message.strip().splitlines()[-1]
            values = trial.hyperparameters.values
            row = {"trial": trial_id, "status": status}
            row.update({name: values.get(name) for name in names})
            score = trial.score if status == "completed" else summary.get("score")
            row.update(score=score, seconds=summary.get("seconds"), error=error)
            row["epochs"] = summary.get("epochs") or (summary.get("settings") or {}).get("epochs")
            if self._hyperband:
                row["continues"] = values.get("tuner/trial_id")
            for task in self.tasks:
                row[f"score:{task.name}"] = (summary.get("task_scores") or {}).get(task.name)
            rows.append(row)
        columns = ["trial", "status", *names, "score", "seconds", "error", "epochs"]
        columns += ["continues"] if self._hyperband else []
        columns += [f"score:{t.name}" for t in self.tasks]
        return pd.DataFrame(rows, columns=columns)

    def best_trial(self):
        """The completed trial with the highest score, or None."""
        best = self.oracle.get_best_trials(1)
        return best[0] if best and best[0].status == keras_tuner.engine.trial.TrialStatus.COMPLETED else None

    def best_preset(self):
        """The best trial's settings as a recipe preset (what `--config` and `fit()` take), or None.

        Holds `method`, a `description`, `_search` (trial, score, tasks: ignored
        by `presets.load_preset`) and the settings the trial ran with that differ
        from the recipe's defaults (its `epochs` is the search budget: raise it for
        a full run).
        """
        trial = self.best_trial()
        if trial is None:
            return None
        summary = run_state.read_json(self._summary_path(trial.trial_id)) or {}
        settings = summary.get("settings") or _jsonable(self.trial_settings(trial))
        defaults = _jsonable(space_lib.fit_defaults(self.hypermodel.fit_fn))
        method = self.hypermodel.method
        completed = int((self.trials_table()["status"] == "completed").sum())
        preset = {
            "method": method,
            "description": (
                f"Best of {completed} completed trials of a {self._search_description['oracle']['class']} search "
                f"over {sorted(self.hypermodel.space)} (trial {trial.trial_id}, mean linear-probe score "
                f"{trial.score:.4f} on {[t.name for t in self.tasks]}), pretrained for {settings.get('epochs')} "
                "epochs at the search budget: raise epochs for a full run."
            ),
            "_search": {
                "trial": trial.trial_id,
                "score": trial.score,
                "task_scores": summary.get("task_scores"),
                "search_dir": self.project_dir,
                "hyperparameters": {k: v for k, v in trial.hyperparameters.values.items()
                                    if k in self.hypermodel.space},
            },
        }
        for name, value in settings.items():
            if name in space_lib.NOT_TUNABLE or name not in defaults:
                continue
            if value != defaults[name]:
                preset[name] = value
        return preset

    def write_results(self):
        """Writes `trials.csv`, `trials.md` and (once a trial completed) `best_preset.json`."""
        from keras_audio_ssl.evaluation.results import to_markdown

        table = self.trials_table()
        folder = self.project_dir
        run_state.write_text_atomic(os.path.join(folder, "trials.csv"), table.to_csv(index=False))
        best = self.best_trial()
        title = f"# Trials of {self.hypermodel.method} in {folder}\n\n"
        note = (f"Score: mean linear-probe score over {[t.name for t in self.tasks]}"
                + (f"; best: trial {best.trial_id} ({best.score:.4f})" if best else "") + ".\n\n")
        markdown = to_markdown(table, float_format="{:.4g}")
        run_state.write_text_atomic(os.path.join(folder, "trials.md"), title + note + markdown + "\n")
        preset = self.best_preset()
        if preset is not None:
            run_state.write_json_atomic(os.path.join(folder, "best_preset.json"), preset)
        return table
