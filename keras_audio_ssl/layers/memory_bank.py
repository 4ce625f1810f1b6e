"""A FIFO memory bank of past samples kept in non-trainable variables."""

import keras
import numpy as np
import tensorflow as tf


@keras.saving.register_keras_serializable(package="keras_audio_ssl")
class FIFOMemoryBank(keras.layers.Layer):
    """A ring buffer of the last `memory_size` samples pushed into it.

    BYOL-A's mixup bank of past inputs (Niizumi et al., 2021, Sec. III-B) and
    any queue of past embeddings (MoCo-style negatives) are this buffer. It
    lives in three non-trainable variables: `memory` `[memory_size, ...]`,
    `count` (entries filled, at most `memory_size`) and `index` (next write
    slot), all with `aggregation="only_first_replica"`: under
    `tf.distribute`, push the samples gathered from every replica
    (`distribute.gather`) so every replica holds the same bank.

    Build it with the shape of a batch of samples (`[B, ...]`, every dimension
    after the batch known); `push` builds it on first use.

    Args:
        memory_size: int. Number of samples kept.
        **kwargs: base layer arguments.

    Example:
    ```python
    bank = FIFOMemoryBank(2048)
    bank.push(log_mels)              # [B, F, T, 1], oldest first
    past = bank.gather(slots)        # [N, F, T, 1]
    ```
    """

    def __init__(self, memory_size=2048, **kwargs):
        kwargs.setdefault("dtype", "float32")  # a float32 buffer under a mixed policy too (precision.py)
        super().__init__(**kwargs)
        if isinstance(memory_size, bool) or not isinstance(memory_size, (int, np.integer)) or memory_size < 1:
            raise ValueError(f"`memory_size` must be a positive integer. Received: memory_size={memory_size}")
        self.memory_size = int(memory_size)

    def build(self, input_shape):
        sample_shape = tuple(input_shape[1:])
        if not sample_shape or any(d is None for d in sample_shape):
            raise ValueError(
                "FIFOMemoryBank needs batches [B, ...] whose sample shape is fully known to size its "
                f"buffer. Received: input_shape={input_shape}"
            )
        self.memory = self.add_weight(
            shape=(self.memory_size,) + sample_shape,
            initializer="zeros",
            trainable=False,
            aggregation="only_first_replica",
            name="memory",
        )
        self.count = self.add_weight(
            shape=(), dtype="int32", initializer="zeros", trainable=False,
            aggregation="only_first_replica", name="memory_count",
        )
        self.index = self.add_weight(
            shape=(), dtype="int32", initializer="zeros", trainable=False,
            aggregation="only_first_replica", name="memory_index",
        )

    def call(self, inputs):
        raise NotImplementedError("FIFOMemoryBank is a buffer: use push(), gather() and contents().")

    def push(self, batch):
        """Pushes `batch` (`[N, ...]`, oldest first); with N > memory_size only the last are kept."""
        batch = tf.cast(tf.convert_to_tensor(batch), self.memory.dtype if self.built else "float32")
        if not self.built:
            self.build(batch.shape)
        n_in = tf.shape(batch)[0]
        recent = batch[-self.memory_size:]
        n = tf.shape(recent)[0]
        index = tf.convert_to_tensor(self.index)
        positions = (index + (n_in - n) + tf.range(n)) % self.memory_size
        # In place: only the pushed rows are written (a functional update copied the whole bank,
        # 50 MB for BYOL-A's, every step).
        self.memory.value.scatter_update(tf.IndexedSlices(recent, positions))
        self.index.assign((index + n_in) % self.memory_size)
        self.count.assign(tf.minimum(tf.convert_to_tensor(self.count) + n_in, self.memory_size))

    def gather(self, slots):
        """The samples at `slots` (int `[N]`, each in `[0, count)`)."""
        return tf.gather(self.memory.value, slots)  # a resource gather: the bank is not read whole

    def uniform_slots(self, u):
        """Maps uniform draws `u` in [0, 1) to filled slots (0 while the bank is empty)."""
        count = tf.convert_to_tensor(self.count)
        slots = tf.cast(tf.floor(u * tf.cast(count, tf.float32)), tf.int32)
        return tf.clip_by_value(slots, 0, tf.maximum(count - 1, 0))

    def contents(self):
        """The filled part of the bank as a NumPy array, oldest entry first (eager only)."""
        count = int(keras.ops.convert_to_numpy(self.count))
        index = int(keras.ops.convert_to_numpy(self.index))
        memory = keras.ops.convert_to_numpy(self.memory)
        if count < self.memory_size:
            return memory[:count]
        return np.roll(memory, -index, axis=0)

    def reset(self):
        """Empties the bank."""
        self.memory.assign(tf.zeros_like(self.memory))
        self.count.assign(0)
        self.index.assign(0)

    def get_config(self):
        config = super().get_config()
        config["memory_size"] = self.memory_size
        return config
