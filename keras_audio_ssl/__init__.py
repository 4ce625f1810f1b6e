"""keras-audio-ssl: self-supervised general-purpose audio representation learning in Keras 3.

Entry points:
- `keras_audio_ssl.recipes.byola.fit(data, output_dir=...)`: pretrain BYOL-A.
- `keras_audio_ssl.encoders.load_embedding_model(run_dir)`: waveform -> embedding.
- `keras_audio_ssl.evaluation.linear_probe(...)` and `python -m keras_audio_ssl.evaluation`.
- `keras_audio_ssl.export.export_savedmodel(...)` / `export_tflite(...)`, and the
  `tools/export_*.py` command lines.
- `keras_audio_ssl.hear`: the HEAR 2021 API (`hear-validator keras_audio_ssl.hear -m run_dir`).
- `keras_audio_ssl.tuning.search(...)` and `python -m keras_audio_ssl.tuning`: a
  Keras Tuner search over a method's settings, scored on downstream tasks.

`keras.saving.load_model` loads every `.keras` file the garden writes after a
bare `import keras_audio_ssl` (see `keras_registration`). Subpackages and the
names below load on first use, so tools that need no
TensorFlow (the offline-benchmark builder, its worker processes) do not pay its
import.
"""

import importlib
import sys

from keras_audio_ssl import keras_registration

keras_registration.install()

# `python -m keras_audio_ssl.<command>` imports this package before the command's module, which
# may import TensorFlow at its top: hide TensorFlow's C++ start-up screen here (see `console`).
_TF_COMMANDS = ("keras_audio_ssl.demo", "keras_audio_ssl.evaluation", "keras_audio_ssl.hear", "keras_audio_ssl.recipes")


def _command_module():
    argv = getattr(sys, "orig_argv", [])
    if sys.argv[:1] == ["-m"] and "-m" in argv[:-1]:
        return argv[argv.index("-m") + 1]
    return None


if (_command_module() or "").startswith(_TF_COMMANDS):
    from keras_audio_ssl.console import import_tensorflow_quietly

    import_tensorflow_quietly()

__version__ = "0.1.0"

_SUBPACKAGES = (
    "audio",
    "augment",
    "data",
    "encoders",
    "evaluation",
    "export",
    "heads",
    "hear",
    "losses",
    "methods",
    "offline_benchmark",
    "recipes",
    "synthetic",
    "tuning",
)
_NAMES = {
    "LogMelSpectrogram": "audio",
    "load_audio": "audio",
    "AudioNTT2020": "encoders",
    "AudioNTT2022": "encoders",
    "build_embedding_model": "encoders",
    "load_embedding_model": "encoders",
    "BYOLA": "methods",
}

__all__ = list(_SUBPACKAGES) + list(_NAMES)


def __getattr__(name):
    if name in _SUBPACKAGES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _NAMES:
        module = importlib.import_module(f"{__name__}.{_NAMES[name]}")
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
