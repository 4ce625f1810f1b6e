import keras
import numpy as np
import pytest

from keras_audio_ssl.encoders import AudioNTT2020
from keras_audio_ssl.methods import SimCLRAudio
from tests.test_case import run_method_test

SAMPLES = 8000  # 0.5 s -> 51 frames; patches of 21 frames


def _clips(n, seed=0):
    """Tones with a little noise: two patches of one clip share its pitch."""
    rng = np.random.default_rng(seed)
    t = np.arange(SAMPLES) / 16000.0
    return (0.3 * np.sin(2 * np.pi * rng.uniform(200.0, 3000.0, (n, 1)) * t)
            + 0.05 * rng.standard_normal((n, t.size))).astype("float32")


def _model(**kwargs):
    options = dict(patch_frames=21, projection_dim=16, pre_norm_mean=-6.0, pre_norm_std=4.0, seed=7)
    options.update(kwargs)
    keras.utils.set_random_seed(0)
    model = SimCLRAudio(AudioNTT2020(feature_d=32), **options)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    model.build((None, SAMPLES))
    return model


@pytest.mark.large  # 8-epoch fit + MirroredStrategy subprocess; BYOL-A's contract and the SimCLR CLI stay
def test_simclr_passes_the_method_contract(tmp_path):
    run_method_test(_model, _clips(32), tmp_path=tmp_path, epochs=8, min_loss_drop=0.05,
                    mirrored_builder="tests.methods.method_builders:simclr")


@pytest.mark.large  # the method contract (multi-epoch fit) again for the ablation settings
def test_ablation_variants_learn(tmp_path):
    run_method_test(lambda: _model(mix_back_alpha=0.0, augmentation="none", separation=20), _clips(32),
                    tmp_path=tmp_path, epochs=6, min_loss_drop=0.05)


def test_every_paper_augmentation_can_be_named_in_a_policy():
    from keras_audio_ssl.methods.simclr import AUGMENTATIONS

    model = _model(augmentation="+".join(AUGMENTATIONS))
    assert [layer.name for layer in model.patch_augmentations] == [
        "random_resize_crop", "compression", "noise", "specaugment", "shift", "blur"]
    views = np.asarray(model.make_views(model.preprocess(_clips(4))))
    assert views.shape == (8, 64, 21, 1) and np.isfinite(views).all()
    again = SimCLRAudio.from_config(model.get_config())
    assert again.augmentation == model.augmentation


def test_views_are_two_patches_per_clip_and_call_embeds():
    model = _model(mix_back_alpha=0.0, augmentation="none")
    x = model.preprocess(_clips(4))
    views = np.asarray(model.make_views(x))
    assert views.shape == (8, 64, 21, 1)
    full = np.asarray(x)
    for row, clip in zip(views, [0, 1, 2, 3, 0, 1, 2, 3]):
        starts = [s for s in range(full.shape[2] - 20) if np.allclose(full[clip, :, s:s + 21], row)]
        assert starts, "a view is not a patch of its clip"
    assert tuple(model(_clips(2)).shape) == (2, 32)


def test_noise_is_in_log_power_units_before_normalization():
    # The authors' noise: σ ~ U(0, 0.01) in log10 power, added before normalization. Same seeds,
    # same patches: the only difference between the two models' views is the noise.
    from keras_audio_ssl.methods.simclr import NOISE_MAX_STDDEV_NATS

    noisy, clean = (_model(mix_back_alpha=0.0, augmentation=a, pre_norm_std=4.0) for a in ("noise", "none"))
    clips = _clips(16)
    added = (np.asarray(noisy.make_views(noisy.preprocess(clips)))
             - np.asarray(clean.make_views(clean.preprocess(clips)))) * 4.0  # back to nats
    per_patch = added.reshape(len(added), -1).std(axis=1)
    assert NOISE_MAX_STDDEV_NATS == pytest.approx(0.01 * np.log(10))
    assert per_patch.max() <= 1.05 * NOISE_MAX_STDDEV_NATS and per_patch.max() > 0.2 * NOISE_MAX_STDDEV_NATS


def test_head_and_augmentation_ranges_follow_the_authors_code():
    # uclser20's params_unsupervised_cl.yaml: low_dim 512, rc_scale (0.8, 1) inside the patch
    # (-> 0.87-1 per axis, no zero canvas), comp_alpha 0.75.
    model = SimCLRAudio(AudioNTT2020(feature_d=8))
    assert model.projection_dim == 512
    rrc, compression, _ = model.patch_augmentations
    assert tuple(rrc.virtual_crop_scale) == (1.0, 1.0)
    assert tuple(rrc.freq_scale) == tuple(rrc.time_scale) == (0.87, 1.0)
    assert tuple(compression.gamma_range) == (0.75, 1.0)


@pytest.mark.parametrize("kwargs, name", [(dict(temperature=0.0), "temperature"),
                                          (dict(mix_back_alpha=2.0), "mix_back_alpha"),
                                          (dict(augmentation="all"), "augmentation"),
                                          (dict(augmentation="noise+noise"), "augmentation"),
                                          (dict(separation=-1), "separation")])
def test_bad_arguments_are_named(kwargs, name):
    with pytest.raises(ValueError, match=f"Received: {name}="):
        SimCLRAudio(AudioNTT2020(feature_d=8), **kwargs)
