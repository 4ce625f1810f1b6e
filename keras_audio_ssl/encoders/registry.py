"""`encoders.get(name, **kwargs)`: every encoder by one name, for recipes and presets."""

import importlib

# name -> (module, class). Modules are imported on first use, so naming an encoder
# costs only its own module. A new encoder adds one row here.
_ENCODERS = {
    "audio_ntt2020": ("keras_audio_ssl.encoders.audio_ntt", "AudioNTT2020"),
    "audio_ntt2022": ("keras_audio_ssl.encoders.audio_ntt", "AudioNTT2022"),
    "crnn": ("keras_audio_ssl.encoders.crnn", "CRNN"),
    "efficientnet_b0": ("keras_audio_ssl.encoders.efficientnet", "EfficientNetB0Encoder"),
    "resnet18": ("keras_audio_ssl.encoders.resnet", "ResNet18"),
    "slowfast_nfnet_f0": ("keras_audio_ssl.encoders.slowfast_nfnet", "SlowFastNFNetF0"),
    "vgg_like": ("keras_audio_ssl.encoders.vgg_like", "VGGLike"),
}


def _key(name):
    return str(name).lower().replace("-", "_")


def _aliases():
    # "AudioNTT2020" and "audio_ntt2020" both work: class names and snake_case keys.
    table = dict(_ENCODERS)
    table.update({_key(cls): (module, cls) for module, cls in _ENCODERS.values()})
    return table


def names():
    """The registered encoder names (snake_case keys)."""
    return sorted(_ENCODERS)


def get_class(name):
    """The encoder class registered under `name` (class name or snake_case key)."""
    entry = _aliases().get(_key(name))
    if entry is None:
        raise ValueError(f"Unknown encoder; expected one of {names()} (or their class names). Received: name={name!r}")
    module, cls = entry
    return getattr(importlib.import_module(module), cls)


def get(name, **kwargs):
    """Instantiates the encoder registered under `name` with `kwargs`.

    Example:
    >>> encoder = get("audio_ntt2020", feature_d=512)
    """
    return get_class(name)(**kwargs)
