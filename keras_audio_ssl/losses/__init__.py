"""Self-supervised losses; each returns the loss and, on request or always, its diagnostics."""

from keras_audio_ssl.losses.bilinear_loss import bilinear_loss
from keras_audio_ssl.losses.byol_loss import byol_loss
from keras_audio_ssl.losses.cola_loss import cola_loss
from keras_audio_ssl.losses.cola_loss import pair_similarity
from keras_audio_ssl.losses.multi_strategy_losses import frame_contrastive_loss
from keras_audio_ssl.losses.multi_strategy_losses import frame_similarity
from keras_audio_ssl.losses.multi_strategy_losses import pitch_shift_loss
from keras_audio_ssl.losses.nt_xent_loss import nt_xent_loss
