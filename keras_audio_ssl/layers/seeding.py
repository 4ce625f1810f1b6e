"""Random draws for augmentation layers that work both in `train_step` and in `tf.data`.

Two sources of randomness, chosen per call:

* `call(..., seed=<int tensor [2]>)`: a stateless seed supplied by the caller.
  Use this inside `tf.data.Dataset.map(num_parallel_calls=...)`, deriving one
  seed per element (e.g. `tf.stack([base_seed, element_index])`), because a
  stateful generator read by parallel map calls can hand the same state to
  two elements (DESIGN.md measured up to ~2 % duplicates with
  `keras.random.SeedGenerator`).
* no `seed`: the layer's own `[2]` int64 state variable (created in `build`,
  initialised from the constructor's `seed=`) is read and advanced, like
  `keras.random.SeedGenerator`. Unlike SeedGenerator's variable, ours uses
  `aggregation="only_first_replica"` so it can be advanced from replica
  context under `tf.distribute`, and the replica id is folded into each draw
  so replicas do not repeat each other's augmentation parameters.

Every draw then goes through TensorFlow's stateless ops, which XLA compiles.
XLA implements them with its own bit generator, so one seed gives different
(equally valid) parameters with `jit_compile=True` than without; each path is
reproducible on its own.
"""

import keras
import numpy as np
import tensorflow as tf


def initial_seed(seed):
    """The integer a layer's seed state starts from (a fresh one when `seed` is None)."""
    if seed is None:
        # np.random is seeded by keras.utils.set_random_seed, so unseeded layers
        # are still reproducible under a global seed.
        return int(np.random.randint(0, 2**31 - 1))
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"`seed` must be an integer or None. Received: seed={seed}")
    return int(seed)


def add_seed_state(layer, seed):
    """Creates the layer's `[2]` int64 seed state variable."""
    start = initial_seed(seed)
    return layer.add_weight(
        shape=(2,),
        dtype="int64",
        initializer=keras.initializers.Constant([start, 0]),
        trainable=False,
        aggregation="only_first_replica",
        name="seed_state",
    )


def _replica_id():
    context = tf.distribute.get_replica_context()
    if context is None:
        return tf.constant(0, tf.int64)
    return tf.cast(context.replica_id_in_sync_group, tf.int64)


def next_seed(seed_state, seed=None):
    """Returns a stateless `[2]` int64 seed for one call.

    With an explicit `seed` (int or `[2]` int tensor) nothing stateful happens;
    otherwise the layer's `seed_state` variable is advanced by one.
    """
    if seed is not None:
        seed = tf.convert_to_tensor(seed)
        if not seed.dtype.is_integer:
            raise ValueError(
                f"`seed` must be an integer tensor of shape [2] (or a scalar). "
                f"Received: seed={seed}"
            )
        seed = tf.cast(seed, tf.int64)
        if seed.shape.rank == 0:
            seed = tf.stack([seed, tf.constant(0, tf.int64)])
        return tf.reshape(seed, [2])
    current = tf.convert_to_tensor(seed_state)
    seed_state.assign(current + tf.constant([0, 1], tf.int64))
    return tf.random.experimental.stateless_fold_in(current, _replica_id())


def sub_seed(seed, index):
    """An independent seed for the `index`-th draw made from one call's seed."""
    return tf.random.experimental.stateless_fold_in(seed, index)


def uniform(shape, seed, minval=0.0, maxval=1.0):
    return tf.random.stateless_uniform(shape, seed=seed, minval=minval, maxval=maxval, dtype=tf.float32)


def normal(shape, seed, stddev=1.0):
    return tf.random.stateless_normal(shape, seed=seed, stddev=stddev, dtype=tf.float32)
