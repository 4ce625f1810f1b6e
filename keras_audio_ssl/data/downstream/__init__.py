"""Downstream (labelled) dataset layouts, each read with its official splits."""

from keras_audio_ssl.data.downstream.audioset import audioset
from keras_audio_ssl.data.downstream.bird_audio_detection import bird_audio_detection
from keras_audio_ssl.data.downstream.dataset import DownstreamDataset
from keras_audio_ssl.data.downstream.dataset import canonical_split
from keras_audio_ssl.data.downstream.esc50 import esc50
from keras_audio_ssl.data.downstream.fluent_speech_commands import fluent_speech_commands
from keras_audio_ssl.data.downstream.fsd50k import fsd50k
from keras_audio_ssl.data.downstream.magnatagatune import magnatagatune
from keras_audio_ssl.data.downstream.manifest import csv_manifest
from keras_audio_ssl.data.downstream.manifest import voxforge
from keras_audio_ssl.data.downstream.nsynth import nsynth
from keras_audio_ssl.data.downstream.sound_events import SoundEventDataset
from keras_audio_ssl.data.downstream.sound_events import dcase2016_task2
from keras_audio_ssl.data.downstream.sound_events import events_csv
from keras_audio_ssl.data.downstream.speech_commands import speech_commands_v1
from keras_audio_ssl.data.downstream.speech_commands import speech_commands_v2
from keras_audio_ssl.data.downstream.tut2018 import tut2018
from keras_audio_ssl.data.downstream.urbansound8k import urbansound8k
from keras_audio_ssl.data.downstream.voxceleb1 import voxceleb1
