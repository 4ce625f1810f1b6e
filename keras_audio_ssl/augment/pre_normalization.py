import keras
import numpy as np
import tensorflow as tf


@keras.saving.register_keras_serializable(package="keras_audio_ssl")
class PreNormalization(keras.layers.Layer):
    """Normalizes log-mel spectrograms with scalar dataset statistics.

    BYOL-A's Pre-Normalization block (Niizumi et al., 2021, Sec. III-A):
    `(x - mean) / std`, where `mean` and `std` are one scalar each over the
    whole training set (all mel bins and frames pooled), as in the official
    code (`np.mean`, `np.std` of the stacked log-mels). It is normalization,
    not augmentation: it is applied whatever `training` says, and the
    official pretrained weights expect it at inference too.

    Statistics come either from the constructor or from `adapt()`; they are
    kept in non-trainable weights (so a `.keras` file carries them) and in
    the config.

    Args:
        mean: float or None. Dataset mean of the log-mel values.
        std: float or None. Dataset standard deviation (population, ddof=0).
        epsilon: float. Lower bound on `std`, guarding against a constant
            training set.
        **kwargs: base layer arguments.

    Example:
    ```python
    norm = PreNormalization()
    norm.adapt(log_mel_dataset)  # tf.data.Dataset of [B, F, T, 1] batches
    x = norm(log_mel_batch)
    ```
    """

    def __init__(self, mean=None, std=None, epsilon=1e-7, **kwargs):
        kwargs.setdefault("dtype", "float32")  # float32 under a mixed policy too (precision.py)
        super().__init__(**kwargs)
        if (mean is None) != (std is None):
            raise ValueError(
                "Pass both `mean` and `std`, or neither (then call adapt()). "
                f"Received: mean={mean}, std={std}"
            )
        if std is not None and not float(std) > 0:
            raise ValueError(f"`std` must be positive. Received: std={std}")
        if not epsilon >= 0:
            raise ValueError(f"`epsilon` must be >= 0. Received: epsilon={epsilon}")
        self.mean = None if mean is None else float(mean)
        self.std = None if std is None else float(std)
        self.epsilon = float(epsilon)
        self.supports_masking = True

    def build(self, input_shape):
        self.mean_weight = self.add_weight(
            shape=(),
            initializer=keras.initializers.Constant(0.0 if self.mean is None else self.mean),
            trainable=False,
            name="mean",
        )
        self.std_weight = self.add_weight(
            shape=(),
            initializer=keras.initializers.Constant(1.0 if self.std is None else self.std),
            trainable=False,
            name="std",
        )

    def adapt(self, data, steps=None):
        """Computes the scalar mean and std of `data` (population std, like NumPy).

        Args:
            data: NumPy array / tensor of log-mels, or a `tf.data.Dataset`
                yielding such batches (or tuples whose first item is one).
                A dataset is streamed batch by batch (float64 running
                moments), never held in memory whole.
            steps: int or None. Number of dataset batches to read; None reads
                until the dataset ends (do not pass an infinite dataset
                without `steps`). Ignored for arrays.
        """
        count, mean, m2 = 0, 0.0, 0.0
        for batch in _iterate_batches(data, steps):
            values = np.asarray(batch, dtype=np.float64).ravel()
            if values.size == 0:
                continue
            if not np.all(np.isfinite(values)):
                raise ValueError("adapt() received non-finite log-mel values (NaN or inf).")
            # Chan et al.'s parallel update: merge this batch's moments into the total.
            n_b = values.size
            mean_b = values.mean()
            m2_b = np.sum((values - mean_b) ** 2)
            delta = mean_b - mean
            total = count + n_b
            mean += delta * n_b / total
            m2 += m2_b + delta**2 * count * n_b / total
            count = total
        if count == 0:
            raise ValueError("adapt() received no data. Received: data with 0 elements")
        self.set_statistics(mean, np.sqrt(m2 / count))

    def set_statistics(self, mean, std):
        """Sets the scalar mean and std (before or after the layer is built)."""
        self.mean, self.std = float(mean), float(std)
        if self.built:
            self.mean_weight.assign(self.mean)
            self.std_weight.assign(self.std)

    def call(self, inputs):
        if self.mean is None:
            raise ValueError(
                f"PreNormalization layer {self.name!r} has no statistics: call adapt() "
                "on training log-mels or pass mean= and std=. Received: mean=None, std=None"
            )
        inputs = keras.ops.cast(inputs, self.compute_dtype)
        std = keras.ops.maximum(self.std_weight, self.epsilon)
        return (inputs - self.mean_weight) / std

    def compute_output_spec(self, inputs):
        # Symbolic calls need no statistics: a model can be built before adapt().
        return keras.KerasTensor(inputs.shape, dtype=self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"mean": self.mean, "std": self.std, "epsilon": self.epsilon})
        return config


def _iterate_batches(data, steps):
    if isinstance(data, tf.data.Dataset):
        if steps is not None:
            data = data.take(steps)
        for element in data.as_numpy_iterator():
            while isinstance(element, (tuple, list)):
                element = element[0]
            if isinstance(element, dict):
                raise ValueError(
                    "adapt() needs a dataset of log-mel batches, or tuples whose first "
                    f"item is one. Received: a dataset of dicts with keys {sorted(element)}"
                )
            yield element
    else:
        yield keras.ops.convert_to_numpy(data)
