"""Hyperparameter search over pretraining settings, scored on downstream tasks (Keras Tuner).

- `search(method, data, tasks, output_dir, space=..., fixed=..., oracle="random")`: the whole search;
  `python -m keras_audio_ssl.tuning` is its command line.
- `PretrainingHyperModel`: a recipe's `fit()` with settings drawn from a space.
- `DownstreamTuner`: trials = short pretraining runs scored by linear probes; resumable.
- `make_oracle("random" | "bayesian" | "hyperband", ...)`.
- Spaces as data: `DEFAULT_SPACES`, `default_space`, `load_space`, `check_space`, `fit_settings`.
"""

from keras_audio_ssl.tuning.hypermodel import PretrainingHyperModel
from keras_audio_ssl.tuning.run import ORACLES
from keras_audio_ssl.tuning.run import make_oracle
from keras_audio_ssl.tuning.run import search
from keras_audio_ssl.tuning.space import DEFAULT_SPACES
from keras_audio_ssl.tuning.space import accepted_names
from keras_audio_ssl.tuning.space import check_space
from keras_audio_ssl.tuning.space import default_space
from keras_audio_ssl.tuning.space import fit_settings
from keras_audio_ssl.tuning.space import load_search_file
from keras_audio_ssl.tuning.space import load_space
from keras_audio_ssl.tuning.tuner import DEFAULT_PROBE
from keras_audio_ssl.tuning.tuner import DownstreamTuner
from keras_audio_ssl.tuning.tuner import TimeBudget
