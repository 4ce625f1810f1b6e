"""`encoders.get(name, **kwargs)`: every encoder by one name, for recipes and presets."""

import importlib

# name -> (module, class[, fixed constructor arguments]). Modules are imported on first use, so
# naming an encoder costs only its own module. A new encoder adds one row here; a paper's variant
# of a class (COLA's EfficientNet-B0: max pooling, no head) is a row with its fixed arguments.
_ENCODERS = {
    "audio_ntt2020": ("keras_audio_ssl.encoders.audio_ntt", "AudioNTT2020"),
    "audio_ntt2022": ("keras_audio_ssl.encoders.audio_ntt", "AudioNTT2022"),
    "crnn": ("keras_audio_ssl.encoders.crnn", "CRNN"),
    "efficientnet_b0": ("keras_audio_ssl.encoders.efficientnet", "EfficientNetB0Encoder"),
    "efficientnet_b0_cola": ("keras_audio_ssl.encoders.efficientnet", "EfficientNetB0Encoder",
                             {"head": "max", "feature_d": 1280}),
    "resnet18": ("keras_audio_ssl.encoders.resnet", "ResNet18"),
    "slowfast_nfnet_f0": ("keras_audio_ssl.encoders.slowfast_nfnet", "SlowFastNFNetF0"),
    "vgg_like": ("keras_audio_ssl.encoders.vgg_like", "VGGLike"),
}


def _key(name):
    return str(name).lower().replace("-", "_")


def _aliases():
    # "AudioNTT2020" and "audio_ntt2020" both work: class names and snake_case keys.
    table = dict(_ENCODERS)
    table.update({_key(entry[1]): entry[:2] for entry in _ENCODERS.values()})
    return table


def _entry(name):
    entry = _aliases().get(_key(name))
    if entry is None:
        raise ValueError(f"Unknown encoder; expected one of {names()} (or their class names). Received: name={name!r}")
    return entry


def names():
    """The registered encoder names (snake_case keys)."""
    return sorted(_ENCODERS)


def get_class(name):
    """The encoder class registered under `name` (class name or snake_case key)."""
    module, cls = _entry(name)[:2]
    return getattr(importlib.import_module(module), cls)


def fixed_arguments(name):
    """The constructor arguments the registered variant `name` fixes (`{}` for a plain class)."""
    entry = _entry(name)
    return dict(entry[2]) if len(entry) > 2 else {}


def get(name, **kwargs):
    """Instantiates the encoder registered under `name` with `kwargs`.

    Example:
    >>> encoder = get("audio_ntt2020", feature_d=512)
    """
    fixed = fixed_arguments(name)
    clashes = {k: v for k, v in kwargs.items() if k in fixed and v != fixed[k]}
    if clashes:
        raise ValueError(f"Encoder {name!r} fixes {fixed}. Received: {', '.join(f'{k}={v!r}' for k, v in clashes.items())}")
    return get_class(name)(**{**kwargs, **fixed})
