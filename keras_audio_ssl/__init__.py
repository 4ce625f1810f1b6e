"""keras-audio-ssl: self-supervised general-purpose audio representation learning in Keras 3.

Entry points:
- `keras_audio_ssl.recipes.byola.fit(data, output_dir=...)`: pretrain BYOL-A.
- `keras_audio_ssl.encoders.load_embedding_model(run_dir)`: waveform -> embedding;
  `encoders.from_preset(name_or_dir)` / `save_to_preset(model, dir)`.
- `keras_audio_ssl.evaluation.linear_probe(...)` and `python -m keras_audio_ssl.evaluation`.
- `keras_audio_ssl.export.export_savedmodel(...)` / `export_tflite(...)`, and the
  `tools/export_*.py` command lines.
- `keras_audio_ssl.tuning.search(...)` and `python -m keras_audio_ssl.tuning`: a
  Keras Tuner search over a method's settings, scored on downstream tasks.

Importing the package imports the subpackages that define layers and models;
their classes register with Keras as they are defined
(`keras.saving.register_keras_serializable`, as keras-hub's do), so
`keras.saving.load_model` loads every `.keras` file the garden writes after a
bare `import keras_audio_ssl`. That imports TensorFlow, through
`console.import_tensorflow_quietly` (its C++ start-up screen hidden; `KAS_VERBOSE=1`
shows it). The TensorFlow-free tooling (the offline-benchmark builder and its
worker processes) lives in the separate `keras_audio_ssl_tools` package.
The other subpackages (data, evaluation, export, recipes, tuning, ...) are
imported by name: `from keras_audio_ssl import recipes`.
"""

from keras_audio_ssl.console import import_tensorflow_quietly

import_tensorflow_quietly()  # before any module below imports TensorFlow

from keras_audio_ssl import audio  # noqa: E402
from keras_audio_ssl import augment  # noqa: E402
from keras_audio_ssl import encoders  # noqa: E402
from keras_audio_ssl import heads  # noqa: E402
from keras_audio_ssl import layers  # noqa: E402
from keras_audio_ssl import losses  # noqa: E402
from keras_audio_ssl import methods  # noqa: E402
from keras_audio_ssl.audio import LogMelSpectrogram  # noqa: E402
from keras_audio_ssl.audio import load_audio  # noqa: E402
from keras_audio_ssl.encoders import AudioNTT2020  # noqa: E402
from keras_audio_ssl.encoders import AudioNTT2022  # noqa: E402
from keras_audio_ssl.encoders import build_embedding_model  # noqa: E402
from keras_audio_ssl.encoders import load_embedding_model  # noqa: E402
from keras_audio_ssl.methods import BYOLA  # noqa: E402

__version__ = "0.1.0"
