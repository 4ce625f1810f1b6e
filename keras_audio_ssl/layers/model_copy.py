"""A fresh model with another's architecture: for momentum targets and float32 copies."""

import copy

import keras


def structural_copy(model, name):
    """A fresh model with `model`'s architecture, named `name`; its weights are new (set them after).

    Encoders and heads rebuild from their config; anything `from_config`
    cannot rebuild (plain functional models) is cloned.
    """
    config = copy.deepcopy(model.get_config())
    if isinstance(config, dict) and "name" in config:
        config["name"] = name
    try:
        return model.__class__.from_config(config)
    except Exception:
        return keras.models.clone_model(model)
