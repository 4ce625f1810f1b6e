"""keras-audio-ssl: self-supervised general-purpose audio representation learning in Keras 3.

Entry points:
- `keras_audio_ssl.recipes.byola.fit(data, output_dir=...)`: pretrain BYOL-A.
- `keras_audio_ssl.encoders.load_embedding_model(run_dir)`: waveform -> embedding.
- `keras_audio_ssl.evaluation.linear_probe(...)` and `python -m keras_audio_ssl.evaluation`.
- `keras_audio_ssl.export.export_savedmodel(...)` / `export_tflite(...)`, and the
  `tools/export_*.py` command lines.
"""

__version__ = "0.1.0"

from keras_audio_ssl import audio
from keras_audio_ssl import augment
from keras_audio_ssl import data
from keras_audio_ssl import encoders
from keras_audio_ssl import evaluation
from keras_audio_ssl import export
from keras_audio_ssl import heads
from keras_audio_ssl import losses
from keras_audio_ssl import methods
from keras_audio_ssl import recipes
from keras_audio_ssl.audio import LogMelSpectrogram
from keras_audio_ssl.audio import load_audio
from keras_audio_ssl.encoders import AudioNTT2020
from keras_audio_ssl.encoders import AudioNTT2022
from keras_audio_ssl.encoders import build_embedding_model
from keras_audio_ssl.encoders import load_embedding_model
from keras_audio_ssl.methods import BYOLA
