"""The convolutional-recurrent encoder (CRNN) of Fonseca et al.'s FSDnoisy18k experiments."""

import keras
from keras import layers

from keras_audio_ssl.encoders.blocks import check_positive_int
from keras_audio_ssl.encoders.blocks import conv_bn_relu
from keras_audio_ssl.encoders.blocks import flatten_frames

# Max-pool sizes (frequency, time) after each of the three 5x5 conv blocks.
_POOLS = ((5, 2), (4, 2), (2, 2))
_MIN_MELS = 5 * 4 * 2  # one frequency bin left after the three poolings


@keras.saving.register_keras_serializable(package="keras_audio_ssl")
class LastFramePooling(keras.layers.Layer):
    """The last frame of `[B, T, D]`: `[B, D]` (a recurrent summary of the whole sequence).

    Example:
    >>> LastFramePooling()(np.ones((2, 12, 8))).shape
    TensorShape([2, 8])
    """

    def call(self, inputs):
        return inputs[:, -1, :]

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2])


@keras.saving.register_keras_serializable(package="keras_audio_ssl")
class CRNN(keras.Model):
    """CRNN encoder of Fonseca et al., "Unsupervised Contrastive Learning of
    Sound Event Representations" (ICASSP 2021), classification layer removed.

    The paper gives its name and size ("CRNN", 1 M weights); the layers are
    those of the authors' code (uclser20 `models/audio_models.py`,
    `CRNN_tagger`), after Cakir et al., "Convolutional Recurrent Neural
    Networks for Polyphonic Sound Event Detection" (2017): three
    [Conv2D 5x5 @ 128 (no bias), BN, ReLU, MaxPool] blocks pooling
    (frequency x time) 5x2, 4x2, 2x2 (floored like torch: F' =
    floor(floor(floor(F/5)/4)/2), T' = floor(T/8)), frames flattened as
    `[B, T', F' * 128]` in torch's order, one bidirectional GRU of d units
    whose forward and backward outputs are multiplied ("emulate merge_mode=
    'mul'" in the official code), and the embedding is the output at the
    last time step: the forward GRU's final state times the backward GRU's
    output at that step (`LastFramePooling`, as the official model takes
    `x[:, -1, 0] * x[:, -1, 1]`). BN eps 1e-5, PyTorch momentum 0.1; the
    GRU is Keras's `reset_after=True` one, the formulation and parameter
    count of torch's `nn.GRU`.

    Frames are the GRU's per-step outputs `[B, T/8, d]`. They depend on the
    whole sequence (recurrence), not only on a local window as in the
    convolutional encoders, so window-by-window embedding of long clips
    (`export.long_clips`) only approximates the whole-clip frames.

    Trainable parameters at the default d=64: 897,664 with 64 mels (GRU
    input 128), 946,816 with the paper's 96 mels (GRU input 256); BatchNorm
    moving statistics (768) not counted. Closed form:
    `25 c + 50 c^2 + 6 c + 6 d (c F' + d + 2)` with
    c = `filters` = 128.

    Args:
        feature_d: int. Embedding size d = GRU units (64).
        n_mels: int. Mel bins F, at least 40 (the poolings divide it by 40).
        filters: int. Filters of each conv block (128).
        return_frames: bool. Return frames `[B, T/8, d]` instead of `[B, d]`.
        synchronized_batch_norm: bool. Synchronize BatchNorm statistics
            across replicas under `tf.distribute`.

    Example:
    >>> CRNN()(np.zeros((2, 64, 96, 1), "float32")).shape
    TensorShape([2, 64])
    """

    def __init__(
        self,
        feature_d=64,
        n_mels=64,
        filters=128,
        return_frames=False,
        synchronized_batch_norm=False,
        **kwargs,
    ):
        check_positive_int("feature_d", feature_d)
        check_positive_int("n_mels", n_mels, at_least=_MIN_MELS)
        check_positive_int("filters", filters)

        # === Functional graph ===
        inputs = keras.Input(shape=(n_mels, None, 1), name="log_mel")
        x = inputs
        for i, pool_size in enumerate(_POOLS):
            x = conv_bn_relu(x, filters, 5, synchronized_batch_norm, f"conv{i + 1}", pool_size=pool_size)
        x = flatten_frames(x, "frames")
        x = layers.Bidirectional(
            layers.GRU(feature_d, return_sequences=True, name="gru"), merge_mode="mul", name="rnn1"
        )(x)
        if not return_frames:
            x = LastFramePooling(name="last_frame")(x)
        kwargs.setdefault("name", "crnn")
        super().__init__(inputs=inputs, outputs=x, **kwargs)

        # === Config ===
        self.feature_d = feature_d
        self.n_mels = n_mels
        self.filters = filters
        self.return_frames = return_frames
        self.synchronized_batch_norm = synchronized_batch_norm
        self.output_dim = feature_d

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "feature_d": self.feature_d,
            "n_mels": self.n_mels,
            "filters": self.filters,
            "return_frames": self.return_frames,
            "synchronized_batch_norm": self.synchronized_batch_norm,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)
