"""The small VGG-like encoder of Fonseca et al.'s FSDnoisy18k experiments."""

import keras
from keras import layers

from keras_audio_ssl.encoders.audio_ntt import MeanMaxTimePooling
from keras_audio_ssl.encoders.blocks import FrequencyPooling
from keras_audio_ssl.encoders.blocks import check_positive_int
from keras_audio_ssl.encoders.blocks import conv_bn_relu

# (filters, 2x2 max pool after the block?): conv32 x3, pool, conv64 x2, pool, conv128, pool.
_CONV_BLOCKS = ((32, False), (32, False), (32, True), (64, False), (64, True), (128, True))


@keras.saving.register_keras_serializable(package="keras_audio_ssl")
class VGGLike(keras.Model):
    """VGG-like encoder of Fonseca et al., "Unsupervised Contrastive Learning
    of Sound Event Representations" (ICASSP 2021), classification layer removed.

    The paper gives only its name and size ("VGG-like", 0.3 M weights); the
    layers are those of the authors' code for it (uclser20
    `models/audio_models.py`, `VGGlike_small_emb_relu`), a small stack of
    VGG-style 3x3 convolutions (Simonyan & Zisserman, 2015): six
    [Conv2D 3x3 (no bias), BN, ReLU] blocks at 32, 32, 32, 64,
    64, 128 filters with 2x2 max pooling after the 3rd, 5th and 6th
    (frequency and time / 8), then global max and mean pooling concatenated
    ("gapgmp", 256) -> Linear d -> ReLU = the embedding fed to the projection
    head. BN eps 1e-5, PyTorch momentum 0.1.

    One change, so the clip embedding is a time pooling of frames like in
    every encoder here (frame-level methods and chunked embedding need it):
    the max and mean are taken over frequency only (`FrequencyPooling
    ("max_mean")`, `[B, T/8, 256]`), Linear d + ReLU is applied per frame
    (`[B, T/8, d]` frames), and the last layer pools over time with
    `MeanMaxTimePooling` (max + mean, as BYOL-A) instead of pooling before
    the Linear. The weights and their count are the official ones.

    Trainable parameters at the default d=512: 280,032 (any `n_mels`:
    147,744 conv + 704 BN + 131,584 Linear; BatchNorm moving statistics,
    704 more, not counted).

    Args:
        feature_d: int. Embedding size d (the paper's `embed_size`, 512).
        n_mels: int. Mel bins F, at least 8 (three 2x2 poolings).
        return_frames: bool. Return frames `[B, T/8, d]` instead of `[B, d]`.
        synchronized_batch_norm: bool. Synchronize BatchNorm statistics
            across replicas under `tf.distribute`.

    Example:
    >>> VGGLike()(np.zeros((2, 64, 96, 1), "float32")).shape
    TensorShape([2, 512])
    """

    def __init__(
        self,
        feature_d=512,
        n_mels=64,
        return_frames=False,
        synchronized_batch_norm=False,
        **kwargs,
    ):
        check_positive_int("feature_d", feature_d)
        check_positive_int("n_mels", n_mels, at_least=8)

        # === Functional graph ===
        inputs = keras.Input(shape=(n_mels, None, 1), name="log_mel")
        x = inputs
        for i, (filters, pool) in enumerate(_CONV_BLOCKS):
            x = conv_bn_relu(x, filters, 3, synchronized_batch_norm, f"conv{i}", pool_size=(2, 2) if pool else None)
        x = FrequencyPooling("max_mean", name="frequency_max_mean_pool")(x)
        x = layers.Dense(feature_d, name="dense1")(x)
        x = layers.ReLU(name="dense1_relu")(x)
        if not return_frames:
            x = MeanMaxTimePooling(name="mean_max_pool")(x)
        kwargs.setdefault("name", "vgg_like")
        super().__init__(inputs=inputs, outputs=x, **kwargs)

        # === Config ===
        self.feature_d = feature_d
        self.n_mels = n_mels
        self.return_frames = return_frames
        self.synchronized_batch_norm = synchronized_batch_norm
        self.output_dim = feature_d

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "feature_d": self.feature_d,
            "n_mels": self.n_mels,
            "return_frames": self.return_frames,
            "synchronized_batch_norm": self.synchronized_batch_norm,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)
