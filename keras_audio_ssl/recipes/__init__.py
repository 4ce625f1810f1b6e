"""Training recipes: plain functions with the papers' defaults, plus their command lines.

`keras_audio_ssl.recipes.byola.fit(...)` pretrains BYOL-A, `recipes.cola.fit(...)` COLA; presets live in the
repository's `recipes/` folder.
"""

from keras_audio_ssl.recipes import byola
from keras_audio_ssl.recipes import cola
from keras_audio_ssl.recipes.callbacks import TrainingDivergedError
from keras_audio_ssl.recipes.presets import load_preset
from keras_audio_ssl.recipes.presets import resolve_config
