import keras
import numpy as np
import tensorflow as tf

from keras_audio_ssl.augment import seeding
from keras_audio_ssl.augment.log_mixup_exp import log_mixup_exp


@keras.saving.register_keras_serializable(package="keras_audio_ssl")
class MixupBYOLA(keras.layers.Layer):
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

    The bank is a ring buffer in non-trainable variables: `memory`
    `[memory_size, F, T, C]`, `memory_count` (entries filled, at most
    `memory_size`) and `memory_index` (next write slot). All three use
    `aggregation="only_first_replica"`: under `tf.distribute`, gather the
    samples of every replica first and call `update_memory(gathered)` (and
    `call(..., update_memory=False)`), so every replica holds the same bank.
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
        super().__init__(**kwargs)
        if not 0.0 <= ratio <= 1.0:
            raise ValueError(f"`ratio` must be in [0, 1]. Received: ratio={ratio}")
        if isinstance(memory_size, bool) or not isinstance(memory_size, (int, np.integer)) or memory_size < 1:
            raise ValueError(f"`memory_size` must be a positive integer. Received: memory_size={memory_size}")
        self.ratio = float(ratio)
        self.memory_size = int(memory_size)
        self.log_mixup_exp = bool(log_mixup_exp)
        self.seed = seed
        self._initial_seed = seeding.initial_seed(seed)

    def build(self, input_shape):
        if len(input_shape) != 4 or any(d is None for d in input_shape[1:]):
            raise ValueError(
                "MixupBYOLA needs inputs [B, F, T, C] with known F, T, C to size its "
                f"memory bank. Received: input_shape={input_shape}"
            )
        self.memory = self.add_weight(
            shape=(self.memory_size,) + tuple(input_shape[1:]),
            initializer="zeros",
            trainable=False,
            aggregation="only_first_replica",
            name="memory",
        )
        self.memory_count = self.add_weight(
            shape=(), dtype="int32", initializer="zeros", trainable=False,
            aggregation="only_first_replica", name="memory_count",
        )
        self.memory_index = self.add_weight(
            shape=(), dtype="int32", initializer="zeros", trainable=False,
            aggregation="only_first_replica", name="memory_index",
        )
        self.seed_state = seeding.add_seed_state(self, self._initial_seed)

    def call(self, inputs, training=True, seed=None, update_memory=True):
        inputs = keras.ops.cast(inputs, "float32")
        if not training:
            return inputs
        seed = seeding.next_seed(self.seed_state, seed)
        batch = tf.shape(inputs)[0]
        lam = seeding.uniform([batch, 1, 1, 1], seeding.sub_seed(seed, 0), 0.0, self.ratio)
        count = tf.convert_to_tensor(self.memory_count)
        # Uniform slot among the filled ones; the ring's order does not matter here.
        u = seeding.uniform([batch], seeding.sub_seed(seed, 1))
        slots = tf.cast(tf.floor(u * tf.cast(count, tf.float32)), tf.int32)
        slots = tf.clip_by_value(slots, 0, tf.maximum(count - 1, 0))
        z = tf.gather(tf.convert_to_tensor(self.memory), slots)
        if self.log_mixup_exp:
            mixed = log_mixup_exp(inputs, z, lam)
        else:
            mixed = (1.0 - lam) * inputs + lam * z
        outputs = tf.where(count > 0, mixed, inputs)
        if update_memory:
            self.update_memory(inputs)
        return outputs

    def update_memory(self, batch):
        """Pushes `batch` (`[N, F, T, C]`, oldest first) into the FIFO bank.

        With N > memory_size only the last `memory_size` samples are kept.
        Call it with the samples of all replicas under `tf.distribute`.
        """
        batch = tf.cast(tf.convert_to_tensor(batch), "float32")
        if not self.built:
            self.build(batch.shape)
        n_in = tf.shape(batch)[0]
        recent = batch[-self.memory_size:]
        n = tf.shape(recent)[0]
        index = tf.convert_to_tensor(self.memory_index)
        positions = (index + (n_in - n) + tf.range(n)) % self.memory_size
        self.memory.assign(
            tf.tensor_scatter_nd_update(tf.convert_to_tensor(self.memory), positions[:, None], recent)
        )
        self.memory_index.assign((index + n_in) % self.memory_size)
        self.memory_count.assign(tf.minimum(tf.convert_to_tensor(self.memory_count) + n_in, self.memory_size))

    def memory_contents(self):
        """The filled part of the bank as a NumPy array, oldest entry first (eager only)."""
        count = int(keras.ops.convert_to_numpy(self.memory_count))
        index = int(keras.ops.convert_to_numpy(self.memory_index))
        memory = keras.ops.convert_to_numpy(self.memory)
        if count < self.memory_size:
            return memory[:count]
        return np.roll(memory, -index, axis=0)

    def reset_memory(self):
        """Empties the bank (e.g. before pretraining on another dataset)."""
        self.memory.assign(tf.zeros_like(self.memory))
        self.memory_count.assign(0)
        self.memory_index.assign(0)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "ratio": self.ratio,
                "memory_size": self.memory_size,
                "log_mixup_exp": self.log_mixup_exp,
                "seed": self.seed,
            }
        )
        return config
