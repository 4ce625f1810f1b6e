"""tf.data input pipelines: folders, CSV manifests, TFRecord shards; segment cropping."""

from keras_audio_ssl.data.checks import AudioFileInfo
from keras_audio_ssl.data.checks import BadAudioFilesError
from keras_audio_ssl.data.checks import check_audio_files
from keras_audio_ssl.data.checks import inspect_audio_file
from keras_audio_ssl.data.cropping import random_crop_or_pad
from keras_audio_ssl.data.files import AUDIO_EXTENSIONS
from keras_audio_ssl.data.files import AudioRows
from keras_audio_ssl.data.files import find_audio_files
from keras_audio_ssl.data.files import read_manifest
from keras_audio_ssl.data.pretraining import DecodeFailures
from keras_audio_ssl.data.pretraining import PretrainingData
from keras_audio_ssl.data.pretraining import make_pretraining_dataset
from keras_audio_ssl.data.pretraining import pretraining_data
from keras_audio_ssl.data.pretraining import raise_decode_failure
from keras_audio_ssl.data.tfrecords import parse_audio_example
from keras_audio_ssl.data.tfrecords import read_tfrecord_shards
from keras_audio_ssl.data.tfrecords import write_tfrecord_shards

# Downstream (labelled) dataset layouts live in keras_audio_ssl/data/downstream/ ([eval] adds the import):
from keras_audio_ssl.data import downstream  # noqa: E402,F401
