import keras
import tensorflow as tf

from keras_audio_ssl.layers import FIFOMemoryBank
from keras_audio_ssl.layers import SeededRandomLayer
from keras_audio_ssl.layers import seeding
from keras_audio_ssl.augment.log_mixup_exp import log_mixup_exp


@keras.saving.register_keras_serializable(package="keras_audio_ssl")
class MixupBYOLA(SeededRandomLayer):
    """BYOL-A's Mixup block: mixes each input with a random past input.

    Niizumi et al., 2021, Sec. III-B. Each sample `x` is mixed with a
    counterpart `z` drawn uniformly from a FIFO memory bank of past
    (pre-normalized) inputs, by log-mixup-exp
    `log((1 - λ)·exp(x) + λ·exp(z) + eps)` with `λ ~ U(0, ratio)` per sample
    (plain `(1 - λ)·x + λ·z` when `log_mixup_exp=False`). Until the bank holds
    an entry, inputs pass unchanged.

    As in the official code, the bank stores the *un-mixed* inputs and is
    updated after mixing, so a sample never mixes with itself in the step
    that pushes it. The official code works one sample at a time; here a
    whole batch is mixed against the bank as it was before the batch, then
    pushed (oldest first, so the bank order is the order samples arrived).

    The bank is a `layers.FIFOMemoryBank` (`[memory_size, F, T, C]`) whose
    variables use `aggregation="only_first_replica"`: under `tf.distribute`,
    gather the samples of every replica first and call
    `update_memory(gathered)` (and `call(..., update_memory=False)`), so every
    replica holds the same bank.
    Inside `tf.data.Dataset.map` with parallel calls, pushes from concurrent
    elements race: there, fill the bank beforehand and pass
    `update_memory=False`, or map with `num_parallel_calls=None`.

    The official code calls the block once per view, so each input enters
    its bank twice; calling both views with `update_memory=False` and then
    `update_memory(inputs)` once keeps 2048 distinct past inputs instead.

    Args:
        ratio: float in [0, 1]. Upper bound of the mixing ratio λ (paper: 0.4;
            BYOL-A v2: 0.2).
        memory_size: int. Number of past inputs kept (paper: 2048).
        log_mixup_exp: bool. Mix in the linear domain (paper) or directly.
        seed: int or None. Seed of the layer's random state.
        **kwargs: base layer arguments.

    Call arguments:
        inputs: `[B, F, T, C]` float32 log-mels.
        training: bool. The identity when False (and the bank is untouched).
        seed: optional `[2]` int tensor, a stateless seed for this call (use
            in `tf.data.Dataset.map`, one seed per element).
        update_memory: bool. Push `inputs` into the bank after mixing.

    Example:
    ```python
    mixup = MixupBYOLA(ratio=0.4, memory_size=2048)
    view = mixup(pre_normalized_log_mels, training=True)
    ```
    """

    def __init__(self, ratio=0.4, memory_size=2048, log_mixup_exp=True, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if not 0.0 <= ratio <= 1.0:
            raise ValueError(f"`ratio` must be in [0, 1]. Received: ratio={ratio}")
        self.bank = FIFOMemoryBank(memory_size, name="memory_bank")
        self.ratio = float(ratio)
        self.memory_size = self.bank.memory_size
        self.log_mixup_exp = bool(log_mixup_exp)

    def build(self, input_shape):
        if len(input_shape) != 4 or any(d is None for d in input_shape[1:]):
            raise ValueError(
                "MixupBYOLA needs inputs [B, F, T, C] with known F, T, C to size its "
                f"memory bank. Received: input_shape={input_shape}"
            )
        if not self.bank.built:
            self.bank.build(input_shape)
        super().build(input_shape)

    @property
    def memory(self):
        return self.bank.memory

    @property
    def memory_count(self):
        return self.bank.count

    def call(self, inputs, training=True, seed=None, update_memory=True):
        inputs = keras.ops.cast(inputs, "float32")
        if not training:
            return inputs
        seed = self.next_seed(seed)
        batch = tf.shape(inputs)[0]
        lam = seeding.uniform([batch, 1, 1, 1], seeding.sub_seed(seed, 0), 0.0, self.ratio)
        # Uniform slot among the filled ones; the ring's order does not matter here.
        z = self.bank.gather(self.bank.uniform_slots(seeding.uniform([batch], seeding.sub_seed(seed, 1))))
        if self.log_mixup_exp:
            mixed = log_mixup_exp(inputs, z, lam)
        else:
            mixed = (1.0 - lam) * inputs + lam * z
        outputs = tf.where(tf.convert_to_tensor(self.bank.count) > 0, mixed, inputs)
        if update_memory:
            self.update_memory(inputs)
        return outputs

    def update_memory(self, batch):
        """Pushes `batch` (`[N, F, T, C]`, oldest first) into the FIFO bank.

        With N > memory_size only the last `memory_size` samples are kept.
        Call it with the samples of all replicas under `tf.distribute`.
        """
        batch = tf.convert_to_tensor(batch)
        if not self.built:
            self.build(batch.shape)
        self.bank.push(batch)

    def memory_contents(self):
        """The filled part of the bank as a NumPy array, oldest entry first (eager only)."""
        return self.bank.contents()

    def reset_memory(self):
        """Empties the bank (e.g. before pretraining on another dataset)."""
        self.bank.reset()

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "ratio": self.ratio,
                "memory_size": self.memory_size,
                "log_mixup_exp": self.log_mixup_exp,
            }
        )
        return config
