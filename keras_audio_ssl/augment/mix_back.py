"""Mix-back (Fonseca et al., 2021): each patch lightly mixed with another clip's patch."""

import keras
import tensorflow as tf

from keras_audio_ssl.augment.log_mixup_exp import log_mixup_exp
from keras_audio_ssl.layers import SeededRandomLayer
from keras_audio_ssl.layers import seeding


@keras.saving.register_keras_serializable(package="keras_audio_ssl")
class MixBack(SeededRandomLayer):
    """`x~ = (1 - λ) x + λ (E(x) / E(b)) b`, in the linear (power) domain of log-mel patches.

    Fonseca et al., "Unsupervised contrastive learning of sound event
    representations" (ICASSP 2021): each incoming patch x is mixed with a
    background patch b of an unrelated clip, λ ~ U(0, α), α = 0.05; the energy
    adjustment E(x)/E(b) scales the background to the patch's energy, so x
    stays dominant however loud b is. Without it (the paper's ablation, best
    α = 0.02) b is mixed as it is.

    Inputs are natural-log power log-mels as `LogMelSpectrogram` returns them,
    before pre-normalization (the mix must happen on power, not on normalized
    values). The background of row i is row `(i + s) mod N` of the batch for
    one random shift s in 1 .. N-1 per call (never the row itself; with COLA's
    or SimCLR's view stacking, the other half's row i is the same clip, which
    s = N/2 would hit: the shift skips it when N is even). Energy E is the
    mean power over the patch. Identity when `training=False` or N = 1.

    Args:
        alpha: float in [0, 1]. Upper bound of λ.
        energy_adjustment: bool. Scale b to x's energy first (the paper's default).
        seed: int or None.
    """

    def __init__(self, alpha=0.05, energy_adjustment=True, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if isinstance(alpha, bool) or not 0.0 <= float(alpha) <= 1.0:
            raise ValueError(f"`alpha` must be in [0, 1]. Received: alpha={alpha!r}")
        self.alpha = float(alpha)
        self.energy_adjustment = bool(energy_adjustment)

    def call(self, inputs, training=True, seed=None):
        x = tf.cast(inputs, tf.float32)
        if not training:
            return x
        seed = self.next_seed(seed)
        n = tf.shape(x)[0]
        # A shift in 1 .. n-1, skipping n/2 (the same clip's other view) when n is even and > 2.
        choices = tf.range(1, tf.maximum(n, 2))
        choices = tf.boolean_mask(choices, tf.logical_or(tf.not_equal(choices * 2, n), tf.less_equal(n, 2)))
        pick = tf.cast(tf.floor(seeding.uniform([], seeding.sub_seed(seed, 0)) * tf.cast(tf.size(choices), tf.float32)), tf.int32)
        shift = tf.gather(choices, tf.minimum(pick, tf.size(choices) - 1))
        background = tf.roll(x, shift=-shift, axis=0)  # row i <- row (i + shift) mod n
        if self.energy_adjustment:
            background = background + (self._log_energy(x) - self._log_energy(background))
        lam = seeding.uniform([n, 1, 1, 1], seeding.sub_seed(seed, 1), 0.0, self.alpha)
        mixed = log_mixup_exp(x, background, lam)
        return tf.where(n > 1, mixed, x)

    @staticmethod
    def _log_energy(x):
        size = tf.cast(tf.reduce_prod(tf.shape(x)[1:]), tf.float32)
        return tf.reduce_logsumexp(x, axis=[1, 2, 3], keepdims=True) - tf.math.log(size)

    def get_config(self):
        config = super().get_config()
        config.update({"alpha": self.alpha, "energy_adjustment": self.energy_adjustment})
        return config
