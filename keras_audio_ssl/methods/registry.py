"""The one list of self-supervised methods: `methods.get(name)`, `methods.names()`, `methods.register(...)`.

Each entry names the method class (whose constructor defaults are the paper's
hyperparameters) and the paper's overrides of the shared training settings and
of those defaults (its recipe's `PAPER`). The command line, presets, the
tuning search and the benchmarks read this list; a new method adds one row
here, or registers itself from its own module:

    # my_package/simsiam.py
    from keras_audio_ssl import methods

    class SimSiam(methods.SelfSupervisedMethod): ...
    methods.register("simsiam", SimSiam, paper={"learning_rate": 0.05})

and is then named `"my_package.simsiam:simsiam"` wherever a method name is
taken (`python -m keras_audio_ssl.recipes --method my_package.simsiam:simsiam`):
`get` imports the module before the `:`, which registers it.

BYOL-A v2 is no entry of its own: it is the same class with other
hyperparameters (AudioNTT2022, Random Linear Fader, mixup 0.2, lr 1e-4), a
preset of "byola" (`recipes/byola_v2_audioset.json`).
"""

import dataclasses
import importlib


@dataclasses.dataclass(frozen=True)
class MethodEntry:
    """One registered method.

    Attributes:
        name: the name commands and presets use.
        method_class: the `SelfSupervisedMethod` subclass, or `"module:Class"` (imported on first use).
        paper: the paper's overrides (`{setting: value}`), or `"module:NAME"` of such a dict.
    """

    name: str
    method_class: object
    paper: object = None

    def load(self):
        """The method class."""
        return _resolve(self.method_class)

    def overrides(self):
        """The paper's overrides of the training settings and the class defaults (a new dict)."""
        return dict(_resolve(self.paper) or {})


def _resolve(reference):
    if not isinstance(reference, str):
        return reference
    module, _, attribute = reference.partition(":")
    return getattr(importlib.import_module(module), attribute)


_METHODS = {
    "byola": MethodEntry("byola", "keras_audio_ssl.methods.byola:BYOLA", "keras_audio_ssl.recipes.byola:PAPER"),
    "cola": MethodEntry("cola", "keras_audio_ssl.methods.cola:COLA", "keras_audio_ssl.recipes.cola:PAPER"),
    "simclr": MethodEntry("simclr", "keras_audio_ssl.methods.simclr:SimCLRAudio", "keras_audio_ssl.recipes.simclr:PAPER"),
    "multi_strategy": MethodEntry("multi_strategy", "keras_audio_ssl.methods.multi_strategy:MultiStrategy",
                                  "keras_audio_ssl.recipes.multi_strategy:PAPER"),
}


def names():
    """The registered method names (those registered from outside the package included)."""
    return sorted(_METHODS)


def register(name, method_class, paper=None):
    """Adds (or replaces) the method `name`: its class and the paper's overrides.

    Returns:
        the new `MethodEntry`.
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"A method name must be an identifier. Received: name={name!r}")
    entry = MethodEntry(name, method_class, paper)
    _METHODS[name] = entry
    return entry


def get(name):
    """The `MethodEntry` of `name`; `"module:name"` imports `module` first (which registers it)."""
    if isinstance(name, str) and ":" in name:
        module, _, name = name.partition(":")
        try:
            importlib.import_module(module)
        except ImportError as e:
            raise ValueError(f"Cannot import the module of method {name!r} ({e}). Received: method={module}:{name}")
    if name not in _METHODS:
        raise ValueError(f"Unknown method; expected one of {names()} (or 'module:name' of a module that registers "
                         f"it). Received: method={name!r}")
    return _METHODS[name]
