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
    values). Energy E is the mean power over the patch. Identity when
    `training=False` or the batch has one row (one clip, with `paired_views`).

    Which clip is the background: with `paired_views=False` the batch is N
    independent patches; row i takes row `(i + s) mod N` for one random shift s
    in 1 .. N-1 per call (never itself). With `paired_views=True` the batch is
    SimCLR's two stacked views of B clips (rows `:B` first views, `B:` second
    views of the same clips), and each view is mixed with a patch of a
    *different* other clip, as in the authors' code (uclser20): the first views
    take clip `(i + s1) mod B`, the second views clip `(i + s2) mod B`, with
    s1 != s2 both in 1 .. B-1 (B >= 3; with B = 2 only one other clip exists).
    A background shared by both views of a clip would be a component the
    positives have in common, the very shortcut mix-back is meant to remove.
    λ is drawn once per clip and used for both of its views (uclser20 draws it
    per clip too).

    Args:
        alpha: float in [0, 1]. Upper bound of λ.
        energy_adjustment: bool. Scale b to x's energy first (the paper's default).
        paired_views: bool. The batch is two stacked views of the same clips (see above).
        seed: int or None.
    """

    def __init__(self, alpha=0.05, energy_adjustment=True, paired_views=False, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if isinstance(alpha, bool) or not 0.0 <= float(alpha) <= 1.0:
            raise ValueError(f"`alpha` must be in [0, 1]. Received: alpha={alpha!r}")
        self.alpha = float(alpha)
        self.energy_adjustment = bool(energy_adjustment)
        self.paired_views = bool(paired_views)

    def call(self, inputs, training=True, seed=None):
        x = tf.cast(inputs, tf.float32)
        if not training:
            return x
        seed = self.next_seed(seed)
        groups = 2 if self.paired_views else 1
        rows = tf.shape(x)[0] // groups  # clips per group
        first = self._shift(rows, seeding.sub_seed(seed, 0))
        if self.paired_views:
            # s2 = s1 + r (mod, within 1 .. rows-1) with r in 1 .. rows-2: never s1, never 0.
            offset = 1 + self._shift(tf.maximum(rows - 1, 1), seeding.sub_seed(seed, 2))
            second = tf.where(rows > 2, 1 + (first - 1 + offset - 1) % tf.maximum(rows - 1, 1), first)
            halves = tf.split(x, 2, axis=0)
            background = tf.concat([tf.roll(halves[0], -first, axis=0), tf.roll(halves[1], -second, axis=0)], 0)
        else:
            background = tf.roll(x, shift=-first, axis=0)  # row i <- row (i + shift) mod n
        if self.energy_adjustment:
            background = background + (self._log_energy(x) - self._log_energy(background))
        lam = seeding.uniform([rows, 1, 1, 1], seeding.sub_seed(seed, 1), 0.0, self.alpha)
        mixed = log_mixup_exp(x, background, tf.tile(lam, [groups, 1, 1, 1]))
        return tf.where(rows > 1, mixed, x)

    @staticmethod
    def _shift(n, seed):
        """A uniform integer in 1 .. n-1 (1 when n < 2)."""
        pick = tf.floor(seeding.uniform([], seed) * tf.cast(tf.maximum(n - 1, 1), tf.float32))
        return 1 + tf.minimum(tf.cast(pick, tf.int32), tf.maximum(n - 2, 0))

    @staticmethod
    def _log_energy(x):
        size = tf.cast(tf.reduce_prod(tf.shape(x)[1:]), tf.float32)
        return tf.reduce_logsumexp(x, axis=[1, 2, 3], keepdims=True) - tf.math.log(size)

    def get_config(self):
        config = super().get_config()
        config.update({"alpha": self.alpha, "energy_adjustment": self.energy_adjustment,
                       "paired_views": self.paired_views})
        return config
