"""Offline benchmark of real audio built only from what Debian packages ship."""

from keras_audio_ssl_tools.offline_benchmark.builder import build_offline_benchmark
from keras_audio_ssl_tools.offline_benchmark.builder import check_disjoint
from keras_audio_ssl_tools.offline_benchmark.requirements import TASKS
from keras_audio_ssl_tools.offline_benchmark.requirements import MissingPackagesError
from keras_audio_ssl_tools.offline_benchmark.requirements import missing_by_task
