import keras
import numpy as np
import pytest

from keras_audio_ssl.encoders import AudioNTT2020
from keras_audio_ssl.methods import MultiStrategy
from tests.methods.test_cola import _pairs
from tests.test_case import run_method_test


def _model(**kwargs):
    options = dict(projection_dim=16, pre_norm_mean=-6.0, pre_norm_std=4.0, seed=7)
    options.update(kwargs)
    keras.utils.set_random_seed(0)
    model = MultiStrategy(AudioNTT2020(feature_d=32), **options)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    model.build((None, 2400))
    return model


@pytest.mark.large  # 6-epoch fit + MirroredStrategy subprocess; BYOL-A's contract, test_every_encoder.py stay
def test_multi_strategy_passes_the_method_contract(tmp_path):
    run_method_test(_model, _pairs(32), tmp_path=tmp_path, epochs=6,
                    mirrored_builder="tests.methods.method_builders:multi_strategy")


@pytest.mark.large  # the method contract (multi-epoch fit) again per ablation
@pytest.mark.parametrize("kwargs", [dict(frame_weight=0.0, pitch_weight=0.0), dict(similarity="cosine")])
def test_ablations_learn(tmp_path, kwargs):
    run_method_test(lambda: _model(**kwargs), _pairs(32), tmp_path=tmp_path, epochs=6)


def test_views_and_the_three_terms():
    model = _model()
    pairs = _pairs(4)
    x = model.preprocess(np.concatenate([pairs[:, 0], pairs[:, 1]]))
    views, semitones = model.make_views(x)
    assert tuple(views.shape) == (12, 64, 16, 1)
    np.testing.assert_array_equal(np.asarray(views[:8]), np.asarray(x))  # x and x' unchanged
    semitones = np.asarray(semitones)
    assert np.all(np.abs(semitones) <= 12 * np.log2(1.25)) and np.ptp(semitones) > 0
    loss, diagnostics = model.compute_loss_and_diagnostics((views, semitones), training=False)
    total = diagnostics["clip_loss"] + diagnostics["frame_loss"] + diagnostics["pitch_loss"]
    assert float(loss) == pytest.approx(float(total), rel=1e-5)
    # The frames are the exported encoder's own: training one trains the other.
    assert {id(v) for v in model.frames_encoder.weights} <= {id(v) for v in model.encoder.weights}


@pytest.mark.parametrize("kwargs, name", [(dict(similarity="dot"), "similarity"), (dict(m=-1), "m"),
                                          (dict(frame_weight=-1.0), "frame_weight"),
                                          (dict(factor_range=(1.2, 0.8)), "factor_range")])
def test_bad_arguments_are_named(kwargs, name):
    with pytest.raises(ValueError, match=f"Received: {name}="):
        MultiStrategy(AudioNTT2020(feature_d=8), **kwargs)
