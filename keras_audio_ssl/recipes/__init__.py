"""Training recipes: the papers' overrides on the method classes and the shared `TrainingSettings`.

`keras_audio_ssl.recipes.byola.fit(...)` pretrains BYOL-A, `recipes.cola.fit(...)` COLA,
`recipes.simclr.fit(...)` SimCLR-audio, `recipes.multi_strategy.fit(...)` multiple sampling
strategies: each `fit` is generated (`recipes.schema.make_fit`) from the method class
(`methods.get(name)`), `recipes.settings.TrainingSettings` and the recipe's `PAPER`, and calls
`recipes.run.pretrain`. Presets live in the repository's `recipes/` folder.
"""

import importlib

from keras_audio_ssl.recipes.presets import load_preset
from keras_audio_ssl.recipes.presets import resolve_config

# Loaded on first use: `python -m keras_audio_ssl.recipes.byola` must not find the module imported
# by its own package (runpy warns), and the package stays light until a recipe is used.
_LAZY = {"byola": None, "cola": None, "simclr": None, "multi_strategy": None, "TrainingDivergedError": "callbacks"}


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(f"{__name__}.{_LAZY[name] or name}")
    return module if _LAZY[name] is None else getattr(module, name)


def __dir__():
    return sorted(list(globals()) + list(_LAZY))
