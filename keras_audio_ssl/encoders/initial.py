"""Warm start: a method's encoder (and its momentum target) starts from existing weights.

`apply_initial_encoder(method_model, spec)` takes the weights from `spec`
(`load_initial_weights(spec, encoder)` returns them for an encoder used as is):

- a `.keras` file of an encoder (log-mel in), or of a waveform -> embedding model;
- a run directory (`embedding_model.keras`, or else `encoder.keras`, or else
  `encoder.weights.h5` loaded into the method's architecture; `normalization.json`);
- a preset directory or a built-in preset name (`encoders.from_preset`);
- an official BYOL-A PyTorch checkpoint, `.pth` (`export.convert_byola_torch`; needs torch).

Pre-normalization statistics: the method keeps its own, computed on the data it is
about to train on (`run.pretrain` computes them for every new run directory, as
for a cold start). Continued pretraining moves the encoder to a new domain, and
pre-normalization only standardises the log-mel of whatever data comes in, as the
official evaluation recomputes it for each downstream task. The statistics of the
source (a run's `normalization.json`, a preset's or embedding model's
PreNormalization) are returned in `InitialEncoder.statistics` for the record
(e.g. `config.json`); None for a bare encoder or a `.pth`, which carry none.

Call it after the method is built (`model.build(...)`): building initialises the
encoder (`initialization="torch"` re-draws it) and copies it into the target.
"""

import dataclasses
import json
import os

import keras

from keras_audio_ssl.encoders.embedding_model_parts import find_encoder
from keras_audio_ssl.encoders.embedding_model_parts import find_pre_normalization
from keras_audio_ssl.encoders.presets import from_preset
from keras_audio_ssl.encoders.presets import is_preset_dir
from keras_audio_ssl.encoders.presets import preset_names
from keras_audio_ssl.layers.model_copy import structural_copy

# The names a run directory gives its final artefacts (recipes/run.py writes them).
_RUN_FILES = ("embedding_model.keras", "encoder.keras", "encoder.weights.h5")
_RUN_STATISTICS = "normalization.json"


@dataclasses.dataclass(frozen=True)
class InitialEncoder:
    """What `apply_initial_encoder` loaded.

    Attributes:
        source: the file the weights came from (a built-in preset's name for those).
        kind: "keras", "run", "preset" or "torch".
        statistics: `{"mean", "std"}` the source's weights were trained behind, or None.
    """

    source: str
    kind: str
    statistics: dict = None


def apply_initial_encoder(method_model, spec):
    """Copies the encoder weights of `spec` into `method_model.encoder` and its momentum target.

    Args:
        method_model: a built `SelfSupervisedMethod`; a `target_encoder` (BYOL-A's
            momentum copy) gets the same weights, so the target equals the online
            encoder at step 0 as in a cold start.
        spec: a path or preset name (see the module docstring).

    Returns:
        `InitialEncoder` (the statistics are the source's; the method keeps its own).

    Raises:
        ValueError, one line naming the file: nothing loadable at `spec`, or an
        encoder whose architecture or width differs from the method's.
    """
    if not method_model.built:
        raise ValueError(f"Build the method (model.build(...)) before applying an initial encoder; building "
                         f"re-initialises the encoder. Received: spec={spec!r}")
    initial, weights = load_initial_weights(spec, method_model.encoder)
    for target in (method_model.encoder, getattr(method_model, "target_encoder", None)):
        if target is not None:
            target.set_weights(weights)
    return initial


def load_initial_weights(spec, like):
    """`(InitialEncoder, weights)`: the encoder weights of `spec`, checked to fit the built encoder `like`.

    For an encoder used as is, without a method (e.g. probing official weights before any
    further pretraining): `like.set_weights(weights)`. Raises as `apply_initial_encoder`.
    """
    source, kind, encoder, statistics = _load(os.fspath(spec), like)
    weights = _matching_weights(encoder, like, source)
    return InitialEncoder(source=source, kind=kind, statistics=statistics), weights


def _load(spec, like):
    """`(source file, kind, encoder, statistics or None)` of `spec`."""
    if spec in preset_names() or (os.path.isdir(spec) and is_preset_dir(spec)):
        model = from_preset(spec)
        return spec, "preset", find_encoder(model), _statistics_of(model)
    if os.path.isdir(spec):
        return _load_run(spec, like)
    if not os.path.isfile(spec):
        raise ValueError(f"No initial encoder at {spec!r}: expected a .keras file, a run or preset directory, an "
                         f"official BYOL-A .pth or one of {preset_names()}. Received: spec={spec!r}")
    if spec.endswith(".pth"):
        from keras_audio_ssl.export.torch_weights import convert_byola_torch  # export builds on encoders

        return spec, "torch", convert_byola_torch(spec), None
    if spec.endswith(".keras"):
        model = _read(keras.saving.load_model, spec)
        statistics = _statistics_of(model)  # None unless a waveform -> embedding model
        return spec, "keras", model if statistics is None else find_encoder(model), statistics
    raise ValueError(f"Expected a .keras file, a run or preset directory or a .pth checkpoint. Received: spec={spec!r}")


def _load_run(folder, like):
    statistics = None
    stats_path = os.path.join(folder, _RUN_STATISTICS)
    if os.path.isfile(stats_path):
        with open(stats_path) as f:
            stats = json.load(f)
        statistics = {"mean": float(stats["mean"]), "std": float(stats["std"])}
    for name in _RUN_FILES:
        path = os.path.join(folder, name)
        if not os.path.isfile(path):
            continue
        if name.endswith(".keras"):
            model = _read(keras.saving.load_model, path)
            return path, "run", find_encoder(model) if name.startswith("embedding") else model, statistics
        encoder = structural_copy(like, "initial_encoder")
        _read(encoder.load_weights, path)
        return path, "run", encoder, statistics
    raise ValueError(f"No encoder in directory {folder!r}: expected a run directory ({', '.join(_RUN_FILES)}) or a "
                     f"preset directory (config.json, model.weights.h5). Received: spec={folder!r}")


def _read(loader, path):
    try:
        return loader(path)
    except Exception as err:  # truncated, foreign or mismatched: one line naming the file
        raise ValueError(f"Cannot load {path!r} ({type(err).__name__}: {str(err).splitlines()[0][:200]}). "
                         f"Received: spec={path!r}") from err


def _statistics_of(model):
    try:
        layer = find_pre_normalization(model)
    except (ValueError, AttributeError):
        return None
    return {"mean": float(layer.mean), "std": float(layer.std)}


def _describe(encoder):
    widths = ", ".join(f"{k}={getattr(encoder, k)}" for k in ("feature_d", "n_mels") if hasattr(encoder, k))
    return f"{type(encoder).__name__}({widths})"


def _matching_weights(encoder, method_encoder, source):
    """The source encoder's weights, after checking they fit the method's encoder one for one."""
    weights = encoder.get_weights()
    shapes = [tuple(w.shape) for w in weights]
    expected = [tuple(w.shape) for w in method_encoder.weights]
    if type(encoder).__name__ != type(method_encoder).__name__ or shapes != expected:
        first = next((f"weight {i}: {a} vs {b}" for i, (a, b) in enumerate(zip(shapes, expected)) if a != b),
                     f"{len(shapes)} vs {len(expected)} weights")
        raise ValueError(f"The initial encoder in {source!r} is {_describe(encoder)}, the method's is "
                         f"{_describe(method_encoder)} ({first}). Received: spec={source!r}")
    return weights
