"""Self-supervised losses."""

from keras_audio_ssl.losses.byol_loss import byol_loss
