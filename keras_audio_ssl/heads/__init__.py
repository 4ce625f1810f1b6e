"""Projection / prediction heads and similarity layers."""

from keras_audio_ssl.heads.bilinear_similarity import BilinearSimilarity
from keras_audio_ssl.heads.cola_projection_head import COLAProjectionHead
from keras_audio_ssl.heads.mlp_head import BYOLPredictionHead
from keras_audio_ssl.heads.mlp_head import BYOLProjectionHead
from keras_audio_ssl.heads.mlp_head import MLPHead
