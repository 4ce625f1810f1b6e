"""Projection / prediction heads."""

from keras_audio_ssl.heads.mlp_head import BYOLPredictionHead
from keras_audio_ssl.heads.mlp_head import BYOLProjectionHead
from keras_audio_ssl.heads.mlp_head import MLPHead
