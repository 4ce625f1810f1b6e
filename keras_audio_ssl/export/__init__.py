"""Deployment: TF Serving SavedModel, TFLite, official BYOL-A weight conversion, input checks."""

from keras_audio_ssl.export.savedmodel import export_savedmodel
from keras_audio_ssl.export.tflite import export_tflite
from keras_audio_ssl.export.torch_weights import convert_byola_torch
from keras_audio_ssl.export.validation import embed
from keras_audio_ssl.export.validation import validate_waveform
