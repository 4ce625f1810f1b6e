"""Presets: a whole waveform -> embedding model as a directory, in keras-hub's preset layout.

    <preset>/config.json        the model's Keras serialization (front end, pre-normalization
                                statistics and encoder configs), as keras-hub's `config.json`
    <preset>/model.weights.h5   every weight (`model.save_weights`)
    <preset>/metadata.json      description, parameter count, library versions, date

`save_to_preset(model, dir)` writes one (atomically: a temporary sibling directory,
swapped into place); `from_preset(name_or_dir)` loads
one, or builds a built-in name: the papers' configurations, untrained
(`preset_names()`), each an encoder of `encoders.get` behind the log-mel front end
and identity pre-normalization statistics (mean 0, std 1).

Example:
>>> model = from_preset("byola_d512")            # untrained BYOL-A encoder, 512-d
>>> save_to_preset(model, "presets/mine")
>>> from_preset("presets/mine")(waveform)         # [B, 512]
"""

import datetime
import json
import os

import keras

from keras_audio_ssl import atomic_write

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.weights.h5"
METADATA_FILE = "metadata.json"

# name -> (encoder registry name, the arguments that make it the paper's, description).
# Only what differs from the encoder class's defaults (or names the preset) is written here.
_BUILT_IN = {
    "byola_d512": ("audio_ntt2020", {"feature_d": 512}, "BYOL-A (Niizumi et al. 2021): AudioNTT2020, 512-d"),
    "byola_d1024": ("audio_ntt2020", {"feature_d": 1024}, "BYOL-A (Niizumi et al. 2021): AudioNTT2020, 1024-d"),
    "byola_d2048": ("audio_ntt2020", {"feature_d": 2048}, "BYOL-A (Niizumi et al. 2021): AudioNTT2020, 2048-d"),
    "byola_v2": ("audio_ntt2022", {}, "BYOL-A v2 (Niizumi et al. 2023): AudioNTT2022"),
    "cola": ("efficientnet_b0_cola", {}, "COLA (Saeed et al. 2021): EfficientNet-B0, global max pooling, 1280-d"),
    "simclr_resnet18": ("resnet18", {"n_mels": 96}, "SimCLR-audio (Fonseca et al. 2021): ResNet-18, 96 mels"),
    "simclr_vgg_like": ("vgg_like", {"n_mels": 96}, "SimCLR-audio (Fonseca et al. 2021): VGG-like, 96 mels"),
    "simclr_crnn": ("crnn", {"n_mels": 96}, "SimCLR-audio (Fonseca et al. 2021): CRNN, 96 mels"),
}


def preset_names():
    """The built-in preset names (the papers' configurations, untrained)."""
    return sorted(_BUILT_IN)


def built_in_encoder(name):
    """The untrained encoder of built-in preset `name` (`encoders.get` with the paper's arguments)."""
    from keras_audio_ssl.encoders.registry import get

    encoder_name, arguments, _ = _BUILT_IN[name]
    return get(encoder_name, **arguments)


def is_preset_dir(path):
    """True for a directory in the preset layout: config, weights and metadata (a run directory also
    holds a `config.json`, its settings, and is not a preset)."""
    return all(os.path.isfile(os.path.join(os.fspath(path), f)) for f in (CONFIG_FILE, WEIGHTS_FILE, METADATA_FILE))


def from_preset(name_or_dir):
    """The waveform -> embedding model of a preset directory or a built-in name.

    Raises:
        ValueError naming `name_or_dir` when it is neither a built-in name nor a
        directory holding a complete, loadable preset.
    """
    from keras_audio_ssl.encoders.embedding_model import build_embedding_model

    source = os.fspath(name_or_dir)
    if source in _BUILT_IN:
        return build_embedding_model(built_in_encoder(source), mean=0.0, std=1.0, name=source)
    missing = [f for f in (CONFIG_FILE, WEIGHTS_FILE) if not os.path.isfile(os.path.join(source, f))]
    if missing:
        raise ValueError(
            f"Not a preset: expected a built-in name ({', '.join(preset_names())}) or a directory holding "
            f"{CONFIG_FILE} and {WEIGHTS_FILE} (missing: {', '.join(missing)}). Received: name_or_dir={source!r}"
        )
    try:
        with open(os.path.join(source, CONFIG_FILE)) as f:
            model = keras.saving.deserialize_keras_object(json.load(f))
        model.load_weights(os.path.join(source, WEIGHTS_FILE))
    except Exception as err:  # a truncated, foreign or mismatched file: one line naming the directory
        raise ValueError(
            f"Cannot load the preset in {source!r} ({type(err).__name__}: {str(err).splitlines()[0][:200]}). "
            f"Received: name_or_dir={source!r}"
        ) from err
    return model


def save_to_preset(model, preset_dir, description=""):
    """Writes `model` (waveform -> embedding) to `preset_dir` in the layout above.

    The directory is written as a temporary sibling (`atomic_write`) and swapped
    into place, so a reader or a kill finds the whole previous preset or the whole
    new one; a full disk is refused before the weights are written (one-line
    `NoSpaceLeftError`) and keeps the previous preset. A directory holding
    anything else is refused (ValueError).
    """
    preset_dir = os.path.abspath(os.fspath(preset_dir))
    if os.path.exists(preset_dir) and os.listdir(preset_dir) and not is_preset_dir(preset_dir):
        raise ValueError(f"Refusing to replace a directory that holds no preset. Received: preset_dir={preset_dir!r}")
    parent, base = os.path.split(preset_dir)
    os.makedirs(parent, exist_ok=True)
    atomic_write.remove_leftovers(parent, base)  # a write of this preset that was killed
    atomic_write.check_room(preset_dir, atomic_write.weights_bytes(model))  # h5py cannot survive a full disk
    with atomic_write.replacing(preset_dir, directory=True, overwrite=True) as tmp:
        with open(os.path.join(tmp, CONFIG_FILE), "w") as f:
            json.dump(keras.saving.serialize_keras_object(model), f, indent=2)
        model.save_weights(os.path.join(tmp, WEIGHTS_FILE))
        with open(os.path.join(tmp, METADATA_FILE), "w") as f:
            json.dump(_metadata(model, description), f, indent=2)
    return preset_dir


def _metadata(model, description):
    import tensorflow as tf

    import keras_audio_ssl

    return {
        "description": description,
        "parameter_count": int(model.count_params()),
        "keras_audio_ssl_version": keras_audio_ssl.__version__,
        "keras_version": keras.__version__,
        "tensorflow_version": tf.__version__,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d@%H:%M:%S"),
    }
