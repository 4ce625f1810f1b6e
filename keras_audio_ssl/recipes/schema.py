"""A method's settings, from the one place each is owned, and the `fit()` generated from them.

A method's settings are the shared `TrainingSettings` plus its class's
hyperparameters (`SelfSupervisedMethod.hyperparameters()`), with the defaults
the paper's: the class defaults, then the registry entry's paper overrides
(`methods.get(name).overrides()`, a recipe's `PAPER`). The command line,
presets, the tuning search and every recipe's `fit()` read `defaults(method)`;
the documentation of each setting is that of its owner (the class docstring,
`TrainingSettings`'), so `help(recipes.byola.fit)` shows each with its default.
"""

import inspect

from keras_audio_ssl.recipes.settings import TrainingSettings
from keras_audio_ssl.recipes.settings import parse_docstring_args


def method_name(method):
    """The registered name of `method` (a name, or a generated `fit` function)."""
    return getattr(method, "method", method)


def defaults(method):
    """`{setting: default}` of `method` (a name or its `fit`): TrainingSettings <- the class <- the paper."""
    from keras_audio_ssl import methods

    entry = methods.get(method_name(method))
    training = {k: v for k, v in TrainingSettings.defaults().items() if k != "output_dir"}
    hyperparameters = entry.load().hyperparameters()
    merged = {**training, **hyperparameters}
    overrides = entry.overrides()
    unknown = sorted(set(overrides) - set(merged))
    if unknown:
        raise ValueError(f"The paper overrides of method {entry.name!r} name unknown settings {unknown}. "
                         f"Received: {overrides}")
    merged.update(overrides)
    return merged


def split(method, settings):
    """`(TrainingSettings keyword arguments, method arguments)` of a full settings dict."""
    training = set(TrainingSettings.defaults())
    return ({k: v for k, v in settings.items() if k in training},
            {k: v for k, v in settings.items() if k not in training})


def docs(method):
    """`{setting: its documentation}`: the class docstrings (own class first), then TrainingSettings'."""
    from keras_audio_ssl import methods

    found = {}
    for klass in methods.get(method_name(method)).load().__mro__:
        for name, text in parse_docstring_args(klass.__doc__).items():
            found.setdefault(name, text)
    found.update(TrainingSettings.docs())
    return found


def make_fit(method, module=None, notes=""):
    """The `fit(data, *, output_dir, **settings)` of `method`, its signature and docstring generated.

    Args:
        method: a registered method name.
        module: the module the function belongs to (its recipe's `__name__`).
        notes: the recipe's module docstring: its words on the paper's defaults.
    """
    from keras_audio_ssl import methods
    from keras_audio_ssl.recipes import run

    entry = methods.get(method)

    def fit(data, *, output_dir, callbacks=None, **overrides):
        all_defaults = defaults(method)
        unknown = sorted(set(overrides) - set(all_defaults))
        if unknown:
            raise ValueError(f"Unknown setting(s) {unknown} for method {method!r}; it accepts {sorted(all_defaults)}. "
                             f"Received: {', '.join(f'{k}={overrides[k]!r}' for k in unknown)}")
        training, method_args = split(method, {**all_defaults, **overrides})
        return run.pretrain(entry.name, data, TrainingSettings(output_dir=output_dir, **training),
                            callbacks=callbacks, **method_args)

    all_defaults, all_docs = defaults(method), docs(method)
    keyword = inspect.Parameter.KEYWORD_ONLY
    fit.__signature__ = inspect.Signature([
        inspect.Parameter("data", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        inspect.Parameter("output_dir", keyword),
        *(inspect.Parameter(name, keyword, default=value) for name, value in all_defaults.items()),
        inspect.Parameter("callbacks", keyword, default=None),
    ])
    args = "\n".join(f"        {name}: {all_docs.get(name, '(undocumented)')} Default: {value!r}."
                     for name, value in all_defaults.items())
    class_name = entry.load().__name__
    # The recipe's docstring after its title, less the command-line example.
    notes = "\n\n".join(p for p in notes.split("\n\n")[1:] if not p.strip().startswith("python -m"))
    notes = "".join(f"    {line}\n" if line.strip() else "\n" for line in notes.strip("\n").splitlines())
    fit.__doc__ = f"""Pretrains `{class_name}` ("{entry.name}") and writes a run directory (see `recipes.run`).

    Defaults are the paper's: the shared `TrainingSettings`, the class's hyperparameters, and
    the paper's overrides ({sorted(entry.overrides())}). A killed run resumes from its last
    finished epoch when `fit` is called again with the same `output_dir`; a finished one
    returns its model; more `epochs` continue it.

{notes}
    Args:
        data: a folder of audio, a CSV manifest, a TFRecord glob, a list of paths, a
            `tf.data.Dataset` of 1-D float32 waveforms, or a NumPy array `[clips, samples]`.
        output_dir: the run directory.
{args}
        callbacks: extra Keras callbacks.

    Returns:
        `(model, history)`: the trained `{class_name}` and a `keras.callbacks.History`
        covering every finished epoch, also those before a resume.

    Raises:
        TrainingDivergedError: the loss became NaN/inf (message names epoch and step).
        ValueError: a setting is out of range or unknown (named).
    """
    fit.method = entry.name
    fit.__module__ = module or __name__
    fit.__qualname__ = "fit"
    return fit


def run_if_main(fit, module_name):
    """`python -m keras_audio_ssl.recipes.<method>`: runs the command line when the recipe module is `__main__`."""
    if module_name == "__main__":
        import sys

        from keras_audio_ssl.recipes import cli

        sys.exit(cli.main(fit))


def fit_for(method):
    """The `fit()` of `method`: its recipe module's when the paper overrides live in one, else generated."""
    import importlib

    from keras_audio_ssl import methods

    entry = methods.get(method)
    if isinstance(entry.paper, str):
        module = importlib.import_module(entry.paper.partition(":")[0])
        if callable(getattr(module, "fit", None)):
            return module.fit
    return make_fit(entry.name)
