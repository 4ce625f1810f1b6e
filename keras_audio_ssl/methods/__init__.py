"""Self-supervised methods: subclassed keras.Models with a custom train_step."""

from keras_audio_ssl.methods.byola import BYOLA
from keras_audio_ssl.methods.ema import ema_decay_at
from keras_audio_ssl.methods.ema import ema_update
