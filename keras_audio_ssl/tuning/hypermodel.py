"""`PretrainingHyperModel`: a recipe's `fit()` with some of its settings drawn from a search space."""

import keras_tuner

from keras_audio_ssl.recipes.presets import resolve_config
from keras_audio_ssl.tuning import space as space_lib


class PretrainingHyperModel(keras_tuner.HyperModel):
    """Pretraining of one method as a Keras Tuner `HyperModel`.

    `build(hp)` declares the space's hyperparameters and returns the `fit()`
    settings of the trial (fixed settings plus the drawn values); `fit(hp,
    settings, data, output_dir=...)` pretrains with them through
    `recipes.<method>.fit`, which writes a run directory and resumes it when
    called again (more `epochs` continue it).

    Args:
        method: `"byola"`, `"cola"`, `"simclr"` or `"multi_strategy"`.
        space: dict name -> spec (see `tuning.space`); `None`: the method's
            default space (`space.default_space`).
        fixed: `fit()` settings shared by every trial (e.g. `feature_d`,
            `batch_size`, `epochs`); checked against `fit()`'s signature.

    Raises:
        ValueError: a hyperparameter or fixed setting `fit()` does not take
            (naming it and the accepted ones), or a malformed spec.

    Example:
    >>> hypermodel = PretrainingHyperModel(
    ...     "byola", {"learning_rate": {"type": "float", "min": 1e-4, "max": 1e-3, "sampling": "log"}},
    ...     fixed={"feature_d": 512, "epochs": 5})
    >>> settings = hypermodel.build(keras_tuner.HyperParameters())
    >>> settings["feature_d"], 1e-4 <= settings["learning_rate"] <= 1e-3
    (512, True)
    """

    def __init__(self, method, space=None, fixed=None, **kwargs):
        super().__init__(name=method, **kwargs)
        self.method = method
        self.fit_fn = space_lib.recipe_fit(method)
        fixed = dict(fixed or {})
        bad = sorted(set(fixed) & set(space_lib.NOT_TUNABLE))
        if bad:
            raise ValueError(f"{bad} cannot be fixed: the tuner sets them per trial. Received: fixed={fixed}")
        resolve_config(self.fit_fn, overrides=fixed)  # unknown fixed settings: named, with the accepted ones
        self.fixed = fixed
        self.space = space_lib.check_space(
            space if space is not None else space_lib.default_space(method), self.fit_fn, fixed
        )

    def declare_hyperparameters(self, hp):
        """Declares the space's hyperparameters on `hp` (`keras_tuner.HyperParameters`)."""
        for name, spec in self.space.items():
            kind = spec["type"]
            if kind == "float":
                hp.Float(name, spec["min"], spec["max"], step=spec.get("step"),
                         sampling=spec.get("sampling", "linear"), default=spec.get("default"))
            elif kind == "int":
                hp.Int(name, spec["min"], spec["max"], step=spec.get("step"),
                       sampling=spec.get("sampling", "linear"), default=spec.get("default"))
            elif kind == "choice":
                hp.Choice(name, spec["values"], default=spec.get("default"))
            else:
                hp.Fixed(name, spec["value"])

    def build(self, hp):
        """Declares the space on `hp`; returns the trial's `fit()` settings (a dict)."""
        self.declare_hyperparameters(hp)
        return self.settings(hp.values)

    def settings(self, values):
        """`fit()` settings from hyperparameter values (pairs filled, `tuner/...` entries ignored)."""
        return space_lib.fit_settings({k: v for k, v in values.items() if k in self.space}, self.fit_fn, self.fixed)

    def fit(self, hp, settings, data, *, output_dir, callbacks=None, **overrides):
        """Pretrains with `settings` (and `overrides`) into `output_dir`; returns `(model, history)`."""
        return self.fit_fn(data, output_dir=output_dir, callbacks=callbacks, **{**settings, **overrides})
