"""Tiny, deterministic methods for the distributed-equality check (tests/methods/mirrored_step.py).

Each builder returns `make_model()` (compiled, built; called once outside and
once inside the strategy scope), `data(steps)` (the global batches) and
optionally `extras(single, mirrored, data)` (more JSON facts to check).
Views are deterministic (no mixing weight, full-size crop) and dropout is off,
so the only difference between the runs is how the batch is split; BatchNorm
is synchronized. SGD, not Adam: Adam's first step is lr * sign(g), which turns
float rounding noise in (mathematically zero) gradients of biases before
BatchNorm into full-size updates.
"""

import keras
import numpy as np

from keras_audio_ssl.encoders import AudioNTT2020

BATCH, SAMPLES = 8, 2400


def _encoder():
    return AudioNTT2020(feature_d=32, synchronized_batch_norm=True, dropout=0.0)


def _compiled(model, input_shape=(None, SAMPLES)):
    model.compile(optimizer=keras.optimizers.SGD(0.05))
    model.build(input_shape)
    return model


def byola():
    from keras_audio_ssl.methods import BYOLA

    def make_model():
        return _compiled(BYOLA(
            _encoder(), projection_dim=8, hidden_dim=32, mixup_ratio=0.0, memory_size=32,
            virtual_crop_scale=(1.0, 1.0), freq_scale=(1.0, 1.0), time_scale=(1.0, 1.0),
            pre_norm_mean=-3.0, pre_norm_std=2.0, synchronized_batch_norm=True, seed=3,
        ))

    def data(steps):
        rng = np.random.default_rng(0)
        return (0.1 * rng.standard_normal((steps * BATCH, SAMPLES))).astype("float32")

    def extras(single, mirrored, data):
        # The bank must hold every sample of both replicas, in global batch order.
        expected = single.pre_norm(single.front_end(data)).numpy()[-32:]
        bank = mirrored.mixup.memory_contents()
        return {"bank_count": int(bank.shape[0]), "bank_max_diff": float(np.max(np.abs(bank - expected)))}

    return {"make_model": make_model, "data": data, "extras": extras}


def cola():
    from keras_audio_ssl.methods import COLA

    def make_model():
        return _compiled(COLA(_encoder(), projection_dim=16, pre_norm_mean=-3.0, pre_norm_std=2.0, seed=3))

    def data(steps):
        rng = np.random.default_rng(0)
        return (0.1 * rng.standard_normal((steps * BATCH, 2, SAMPLES))).astype("float32")

    return {"make_model": make_model, "data": data}


def simclr():
    from keras_audio_ssl.methods import SimCLRAudio

    # Patches as long as the segment (start 0), no mix-back, no augmentation: deterministic views.
    frames = 1 + SAMPLES // 160

    def make_model():
        return _compiled(SimCLRAudio(
            _encoder(), patch_frames=frames, mix_back_alpha=0.0, augmentation="none", projection_dim=16,
            pre_norm_mean=-3.0, pre_norm_std=2.0, synchronized_batch_norm=True, seed=3,
        ))

    def data(steps):
        rng = np.random.default_rng(0)
        return (0.1 * rng.standard_normal((steps * BATCH, SAMPLES))).astype("float32")

    return {"make_model": make_model, "data": data}


def multi_strategy():
    from keras_audio_ssl.methods import MultiStrategy

    def make_model():  # factor 1: the pitch-shifted view is deterministic
        return _compiled(MultiStrategy(_encoder(), projection_dim=16, factor_range=(1.0, 1.0), pre_norm_mean=-3.0,
                                       pre_norm_std=2.0, seed=3))

    def data(steps):
        rng = np.random.default_rng(0)
        return (0.1 * rng.standard_normal((steps * BATCH, 2, SAMPLES))).astype("float32")

    return {"make_model": make_model, "data": data}
