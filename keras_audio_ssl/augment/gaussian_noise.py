import keras
import tensorflow as tf

from keras_audio_ssl.layers import SeededRandomLayer
from keras_audio_ssl.layers import seeding
from keras_audio_ssl.augment.log_mixup_exp import log_mixup_exp


@keras.saving.register_keras_serializable(package="keras_audio_ssl")
class GaussianNoise(SeededRandomLayer):
    """The Gaussian-noise block of BYOL-A's ablation (Niizumi et al., 2021, Sec. IV-C).

    "Interpolates training input with random data points sampled from the
    normal distribution ... N(0, 0.4) ... and followed the log-mixup-exp
    calculation": instead of a past input, the mixing counterpart `z` is
    noise `~ N(0, stddev)` per element, and the output is
    `log((1 - λ)·exp(x) + λ·exp(z) + eps)` with `λ ~ U(0, ratio)` per sample,
    the same mixing as `MixupBYOLA`. The paper gives no separate ratio for
    this block; we assume the Mixup block's 0.4. `stddev` is the standard
    deviation (the paper writes N(0, 0.4)).

    Args:
        stddev: float >= 0. Standard deviation of the noise.
        ratio: float in [0, 1]. Upper bound of the mixing ratio λ.
        log_mixup_exp: bool. Mix in the linear domain (as the paper) or directly.
        seed: int or None. Seed of the layer's random state.
        **kwargs: base layer arguments.

    Example:
    ```python
    view = GaussianNoise(stddev=0.4)(pre_normalized_log_mels, training=True)
    ```
    """

    def __init__(self, stddev=0.4, ratio=0.4, log_mixup_exp=True, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if not stddev >= 0:
            raise ValueError(f"`stddev` must be >= 0. Received: stddev={stddev}")
        if not 0.0 <= ratio <= 1.0:
            raise ValueError(f"`ratio` must be in [0, 1]. Received: ratio={ratio}")
        self.stddev = float(stddev)
        self.ratio = float(ratio)
        self.log_mixup_exp = bool(log_mixup_exp)

    def call(self, inputs, training=True, seed=None):
        inputs = keras.ops.cast(inputs, "float32")
        if not training:
            return inputs
        seed = self.next_seed(seed)
        shape = tf.shape(inputs)
        lam = seeding.uniform([shape[0], 1, 1, 1], seeding.sub_seed(seed, 0), 0.0, self.ratio)
        noise = seeding.normal(shape, seeding.sub_seed(seed, 1), self.stddev)
        if self.log_mixup_exp:
            return log_mixup_exp(inputs, noise, lam)
        return (1.0 - lam) * inputs + lam * noise

    def get_config(self):
        config = super().get_config()
        config.update(
            {"stddev": self.stddev, "ratio": self.ratio, "log_mixup_exp": self.log_mixup_exp}
        )
        return config
