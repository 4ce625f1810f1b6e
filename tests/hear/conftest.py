import numpy as np
import pytest


def tiny_embedding_model(seed=7, feature_d=16):
    """An untrained AudioNTT2020 embedding model: what a run directory holds, without a fit."""
    import keras

    from keras_audio_ssl.encoders import AudioNTT2020
    from keras_audio_ssl.encoders import build_embedding_model

    keras.utils.set_random_seed(seed)
    return build_embedding_model(AudioNTT2020(feature_d=feature_d), mean=-6.0, std=4.0)


@pytest.fixture(scope="session")
def tiny_run_dir(tmp_path_factory):
    """A run directory laid out as `recipes` writes it (the files `load_model` reads)."""
    run_dir = tmp_path_factory.mktemp("hear_run")
    tiny_embedding_model().save(str(run_dir / "embedding_model.keras"))
    return str(run_dir)


@pytest.fixture(scope="session")
def energy_model():
    """AudioNTT2020 with constant positive weights and silence normalised to 0: every frame
    measures the energy in its receptive field, symmetric about the frame's centre."""
    import keras

    from keras_audio_ssl.encoders import AudioNTT2020
    from keras_audio_ssl.encoders import build_embedding_model

    encoder = AudioNTT2020(feature_d=8)
    encoder.build((None, 64, None, 1))
    for layer in encoder.layers:
        if isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense)):
            kernel, bias = layer.get_weights()
            layer.set_weights([np.full_like(kernel, 1.0 / kernel[..., 0].size), np.zeros_like(bias)])
    silence = -15.942385  # log(eps) of the log-mel front end: a silent frame
    return build_embedding_model(encoder, mean=silence, std=1.0)
