"""BYOL-A's ablation axes (issue 17): augmentation blocks, BatchNorm per view, PyTorch-default init."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_audio_ssl import augment
from keras_audio_ssl.encoders import AudioNTT2020
from keras_audio_ssl.layers.initialization import torch_default_initialization
from keras_audio_ssl.methods import BYOLA

from tests.methods.test_byola import SAMPLES
from tests.methods.test_byola import _model
from tests.methods.test_byola import _waveforms


def _log_mels(model, n=8, seed=0):
    return model.pre_norm(model.front_end(_waveforms(n, seed)))


def test_augmentation_blocks_choose_the_layers_and_train():
    for blocks, mixing, has_rrc in [(("rrc",), None, True), (("mixup",), augment.MixupBYOLA, False),
                                    (("gaussian", "rrc"), augment.GaussianNoise, True), ((), None, False)]:
        model = _model(augmentations=blocks)
        assert (type(model.augmentation.mixup) if model.augmentation.mixup is not None else None) is mixing
        assert (model.augmentation.rrc is not None) == has_rrc
        if "gaussian" in blocks:  # the block no other test trains: through fit's traced step
            loss = model.fit(_waveforms(16), batch_size=8, epochs=1, verbose=0).history["loss"][-1]
        else:  # the default blocks' traced step is trained by every other BYOL-A fit; an eager step is enough here
            loss = model.train_step(tf.constant(_waveforms(8)))["loss"]
        assert np.isfinite(float(loss)), blocks
        assert BYOLA.from_config(model.get_config()).augmentations == tuple(blocks)
    # No block: both views are the same input, post-normalized.
    views = _model(augmentations=())
    x = _log_mels(views)
    v1, v2 = np.split(keras.ops.convert_to_numpy(views.make_views(x)["views"]), 2)
    np.testing.assert_allclose(v1, v2)


@pytest.mark.parametrize("blocks", [("mixup", "gaussian"), ("rrc", "rrc"), ("crop",)])
def test_bad_augmentation_blocks_are_named(blocks):
    with pytest.raises(ValueError, match="augmentations"):
        _model(augmentations=blocks)


def test_per_view_batch_norm_runs_each_view_alone():
    # No dropout: training-mode outputs are deterministic, so only BatchNorm's batch differs.
    joint = _model(encoder=AudioNTT2020(feature_d=64, dropout=0.0))
    per_view = _model(encoder=AudioNTT2020(feature_d=64, dropout=0.0), batch_norm_views="per_view")
    per_view.set_weights(joint.get_weights())
    views = joint.make_views(_log_mels(joint))
    _, joint_out = joint.compute_loss_and_diagnostics(views, training=True)
    _, per_view_out = per_view.compute_loss_and_diagnostics(views, training=True)
    first_half = views["views"][:8]
    alone = per_view.projector(per_view.encoder(first_half, training=True), training=True)
    got = keras.ops.convert_to_numpy(per_view_out["embeddings"])
    np.testing.assert_allclose(got[:8], keras.ops.convert_to_numpy(alone), rtol=1e-4, atol=1e-4)
    # Training-mode BatchNorm over 2B vs B rows: the joint projections differ.
    assert np.abs(keras.ops.convert_to_numpy(joint_out["embeddings"])[:8] - got[:8]).max() > 1e-3
    assert BYOLA.from_config(per_view.get_config()).batch_norm_views == "per_view"
    with pytest.raises(ValueError, match="batch_norm_views"):
        _model(batch_norm_views="both")


def test_torch_initialization_bounds_and_seed():
    encoder = AudioNTT2020(feature_d=32)
    dense = keras.layers.Dense(7)
    dense.build((None, 300))
    assert torch_default_initialization([encoder, dense], seed=3) > 3
    bound = 1 / np.sqrt(300)
    kernel, bias = dense.kernel.numpy(), dense.bias.numpy()
    assert np.abs(kernel).max() <= bound and np.abs(bias).max() <= bound
    assert np.abs(bias).max() > 0.5 * bound  # PyTorch's bias is uniform, not zero
    np.testing.assert_allclose(kernel.var(), bound ** 2 / 3, rtol=0.15)  # U(-b, b) variance
    conv = next(layer for layer in encoder._flatten_layers() if isinstance(layer, keras.layers.Conv2D))
    fan_in = int(np.prod(conv.kernel.shape[:-1]))
    assert np.abs(conv.kernel.numpy()).max() <= 1 / np.sqrt(fan_in)
    again = keras.layers.Dense(7)
    again.build((None, 300))
    torch_default_initialization([again], seed=3)
    torch_default_initialization([dense], seed=3)
    np.testing.assert_array_equal(again.kernel.numpy(), dense.kernel.numpy())


def test_torch_initialization_of_byola_starts_the_target_as_a_copy():
    keras_init, torch_init = _model(), _model(initialization="torch")
    online = torch_init.encoder.trainable_weights + torch_init.projector.trainable_weights
    target = torch_init.target_encoder.trainable_weights + torch_init.target_projector.trainable_weights
    for a, b in zip(online, target):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    last_dense = torch_init.projector.trainable_weights[-1].numpy()  # the output bias
    assert np.abs(last_dense).max() > 0
    assert not np.allclose(keras_init.projector.trainable_weights[0].numpy(),
                           torch_init.projector.trainable_weights[0].numpy())
    assert np.isfinite(float(torch_init.train_step(tf.constant(_waveforms(8)))["loss"]))  # eager: init is not traced
    assert BYOLA.from_config(torch_init.get_config()).initialization == "torch"
    with pytest.raises(ValueError, match="initialization"):
        _model(initialization="he")
