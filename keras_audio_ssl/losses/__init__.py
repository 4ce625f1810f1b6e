"""Self-supervised losses."""

from keras_audio_ssl.losses.bilinear_loss import bilinear_loss
from keras_audio_ssl.losses.byol_loss import byol_loss
from keras_audio_ssl.losses.nt_xent_loss import nt_xent_loss
