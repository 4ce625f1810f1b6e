"""Two time-frequency patches per clip: the positive pair of Fonseca et al. (2021)."""

import keras
import tensorflow as tf

from keras_audio_ssl.layers import SeededRandomLayer
from keras_audio_ssl.layers import seeding


@keras.saving.register_keras_serializable(package="keras_audio_ssl")
class RandomTFPatches(SeededRandomLayer):
    """Draws two patches of `patch_frames` frames (all mel bands) from each clip's log-mel.

    Fonseca, Ortego, McGuinness, O'Connor and Serra, "Unsupervised contrastive
    learning of sound event representations" (ICASSP 2021): "sample two
    patches (views) at random within audio clip log-mel spectrogram", T x F =
    101 x 96. Clips shorter than a patch are zero-padded at the end (after
    pre-normalization zero is the dataset mean, i.e. "average" level).

    `separation=None` draws both starts independently and uniformly (the
    paper's best, "sampling at random"); an integer d places the second patch
    exactly d frames from the first (in a random direction), the paper's
    ablation (d = 0: the same patch; d < 101 overlaps).

    Input `[B, F, T, C]`; output `[2B, F, patch_frames, C]`: rows `:B` are each
    clip's first patch and rows `B:` its second. With `training=False` both
    patches are the clip's first `patch_frames` frames.

    Args:
        patch_frames: int. Frames per patch (101).
        separation: None or int >= 0, frames between the two patches' starts.
        seed: int or None.
    """

    def __init__(self, patch_frames=101, separation=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if isinstance(patch_frames, bool) or not isinstance(patch_frames, int) or patch_frames < 1:
            raise ValueError(f"`patch_frames` must be a positive integer. Received: patch_frames={patch_frames!r}")
        if separation is not None and (isinstance(separation, bool) or not isinstance(separation, int) or separation < 0):
            raise ValueError(f"`separation` must be None or an integer >= 0. Received: separation={separation!r}")
        self.patch_frames = patch_frames
        self.separation = separation

    def build(self, input_shape):
        frames = input_shape[2]
        if self.separation is not None and frames is not None and frames < self.patch_frames + self.separation:
            raise ValueError(
                f"Clips of {frames} frames cannot hold two {self.patch_frames}-frame patches {self.separation} "
                f"frames apart; use longer segments or a smaller separation. Received: separation={self.separation}"
            )
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        batch = None if input_shape[0] is None else 2 * input_shape[0]
        return (batch, input_shape[1], self.patch_frames, input_shape[3])

    def call(self, inputs, training=True, seed=None):
        x = tf.cast(inputs, tf.float32)
        missing = tf.maximum(self.patch_frames - tf.shape(x)[2], 0)
        x = tf.pad(x, [[0, 0], [0, 0], [0, missing], [0, 0]])
        batch, room = tf.shape(x)[0], tf.shape(x)[2] - self.patch_frames  # start positions 0 .. room
        if not training:
            starts = tf.zeros([2, batch], tf.int32)
        else:
            seed = self.next_seed(seed)
            u = seeding.uniform([3, batch], seed)
            if self.separation is None:
                starts = tf.cast(tf.floor(u[:2] * tf.cast(room + 1, tf.float32)), tf.int32)
            else:
                first = tf.cast(tf.floor(u[0] * tf.cast(room - self.separation + 1, tf.float32)), tf.int32)
                second = first + self.separation
                swap = u[2] < 0.5  # which of the pair comes first in time
                starts = tf.stack([tf.where(swap, second, first), tf.where(swap, first, second)])
            starts = tf.minimum(starts, room)
        index = starts[:, :, None] + tf.range(self.patch_frames)[None, None, :]  # [2, B, P]
        patches = [tf.gather(x, index[i], axis=2, batch_dims=1) for i in range(2)]
        return tf.concat(patches, axis=0)

    def get_config(self):
        config = super().get_config()
        config.update({"patch_frames": self.patch_frames, "separation": self.separation})
        return config
