"""The base of every layer that draws random parameters per call."""

import keras

from keras_audio_ssl.layers import seeding


class SeededRandomLayer(keras.layers.Layer):
    """A layer with a `[2]` int64 seed state, usable in `train_step` and in `tf.data`.

    Subclasses call `self.next_seed(seed)` once per `call` and derive each
    draw from it with `seeding.sub_seed`; see `seeding.py` for why the state
    is a plain variable with `aggregation="only_first_replica"` (not a
    `keras.random.SeedGenerator`) and why an explicit per-call `seed` exists.
    The layer stores `seed` and returns it from `get_config`.

    Args:
        seed: int or None. Start of the layer's seed state (None: drawn from
            NumPy's global generator, which `keras.utils.set_random_seed` seeds).
        **kwargs: base layer arguments.

    Example:
    ```python
    class Flip(SeededRandomLayer):
        def call(self, inputs, training=True, seed=None):
            if not training:
                return inputs
            u = seeding.uniform([tf.shape(inputs)[0], 1, 1, 1], self.next_seed(seed))
            return tf.where(u < 0.5, inputs, -inputs)
    ```
    """

    def __init__(self, seed=None, **kwargs):
        # Augmentations stay float32 under a mixed global policy (precision.py).
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        self.seed = seed
        self._initial_seed = seeding.initial_seed(seed)

    def build(self, input_shape):
        self.seed_state = seeding.add_seed_state(self, self._initial_seed)

    def next_seed(self, seed=None):
        """The stateless `[2]` seed of this call: `seed` if given, else the advanced state."""
        if not self.built:
            raise ValueError(f"Layer {self.name!r} must be built before drawing a seed. Received: seed={seed}")
        return seeding.next_seed(self.seed_state, seed)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["seed"] = self.seed
        return config
