"""Process pools whose workers die with their parent (see `keras_audio_ssl_tools.processes`).

The pool lives in the TensorFlow-free `keras_audio_ssl_tools` package: a spawned worker unpickles
its initializer by module name, and a module under `keras_audio_ssl` would make every worker import
TensorFlow through the package's `__init__`.
"""

from keras_audio_ssl_tools.processes import die_with_parent
from keras_audio_ssl_tools.processes import worker_pool

__all__ = ["die_with_parent", "worker_pool"]
