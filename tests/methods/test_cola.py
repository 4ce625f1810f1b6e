import keras
import numpy as np
import pytest
from scipy.special import log_softmax

from keras_audio_ssl.encoders import AudioNTT2020
from keras_audio_ssl.methods import COLA
from tests.test_case import run_method_test

SAMPLES = 2400


def _pairs(n, seed=0):
    """Two random crops of each of n tone clips: a pair shares its clip's pitch."""
    rng = np.random.default_rng(seed)
    t = np.arange(3 * SAMPLES) / 16000.0
    clips = 0.3 * np.sin(2 * np.pi * rng.uniform(200.0, 3000.0, (n, 1)) * t) + 0.05 * rng.standard_normal((n, t.size))
    starts = rng.integers(0, 2 * SAMPLES, (n, 2))
    return np.stack([[c[s:s + SAMPLES] for s in row] for c, row in zip(clips, starts)]).astype("float32")


def _model(**kwargs):
    options = dict(projection_dim=16, pre_norm_mean=-6.0, pre_norm_std=4.0, seed=7)
    options.update(kwargs)
    keras.utils.set_random_seed(0)
    model = COLA(AudioNTT2020(feature_d=32), **options)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    model.build((None, SAMPLES))
    return model


@pytest.mark.large  # 6-epoch fit + MirroredStrategy subprocess; BYOL-A's contract and the COLA CLI stay
def test_cola_passes_the_method_contract(tmp_path):
    run_method_test(_model, _pairs(32), tmp_path=tmp_path, epochs=6, mirrored_builder="tests.methods.method_builders:cola")


@pytest.mark.parametrize("kwargs, epochs, drop", [
    (dict(similarity="cosine"), 6, 0.1),
    (dict(augmentation="byola", memory_size=16), 10, 0.05),  # augmented views: a harder task, slower start
])
@pytest.mark.large  # the method contract (multi-epoch fit) again per variant
def test_cosine_and_cola_prime_variants_learn(tmp_path, kwargs, epochs, drop):
    run_method_test(lambda: _model(**kwargs), _pairs(32), tmp_path=tmp_path, epochs=epochs, min_loss_drop=drop)


def test_views_are_the_two_segments_and_call_embeds():
    model = _model()
    pairs = _pairs(4)
    x = model.preprocess(np.concatenate([pairs[:, 0], pairs[:, 1]]))
    np.testing.assert_array_equal(np.asarray(model.make_views(x)), np.asarray(x))
    assert tuple(model(pairs[:, 0]).shape) == (4, 32)


def test_loss_is_the_papers_one_direction():
    # COLA's L (and the authors' code): each anchor (first segment) finds its clip's second
    # segment among the batch's second segments; the column direction is not added.
    model = _model()
    pairs = _pairs(6)
    x = model.preprocess(np.concatenate([pairs[:, 0], pairs[:, 1]]))
    loss, diagnostics = model.compute_loss_and_diagnostics(x, training=False)
    g = np.asarray(model.projector(model.encoder(x, training=False)), np.float64)
    s = g[:6] @ np.asarray(model.bilinear.kernel, np.float64) @ g[6:].T
    rows = -np.mean(np.diag(log_softmax(s, axis=1)))
    columns = -np.mean(np.diag(log_softmax(s.T, axis=1)))
    assert abs(rows - columns) > 1e-3  # the two directions differ here, so the check below can fail
    assert float(loss) == pytest.approx(rows, rel=1e-4)
    assert float(diagnostics["contrastive_accuracy"]) == pytest.approx(np.mean(s.argmax(1) == np.arange(6)))


@pytest.mark.parametrize("kwargs, name", [(dict(similarity="dot"), "similarity"), (dict(augmentation="mix"), "augmentation"),
                                          (dict(temperature=0.0), "temperature")])
def test_bad_arguments_are_named(kwargs, name):
    with pytest.raises(ValueError, match=f"Received: {name}="):
        COLA(AudioNTT2020(feature_d=8), **kwargs)
