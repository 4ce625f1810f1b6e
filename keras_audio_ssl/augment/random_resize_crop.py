import keras
import tensorflow as tf

from keras_audio_ssl.layers import SeededRandomLayer
from keras_audio_ssl.layers import seeding

# Cubic convolution coefficient of PyTorch's (and OpenCV's) bicubic mode,
# which the official code uses through F.interpolate(mode="bicubic").
CUBIC_A = -0.75


def _cubic_weights(t):
    """Weights of the four taps at offsets -1, 0, 1, 2 for fractional position t."""
    a = CUBIC_A

    def near(d):  # |d| <= 1
        return ((a + 2.0) * d - (a + 3.0)) * d * d + 1.0

    def far(d):  # 1 < |d| < 2
        return ((a * d - 5.0 * a) * d + 8.0 * a) * d - 4.0 * a

    return [far(t + 1.0), near(t), near(1.0 - t), far(2.0 - t)]


def bicubic_crop_matrix(out_size, in_size, canvas_size, crop_start, crop_size):
    """Per-sample matrices mapping an input axis to a resized crop of it.

    The input axis (length `in_size`) sits centred on a zero canvas of
    `canvas_size`; the crop `[crop_start, crop_start + crop_size)` of the
    canvas is resized to `out_size` with bicubic interpolation as
    `torch.nn.functional.interpolate(mode="bicubic", align_corners=True)` does
    (taps clamped to the crop's edges). Canvas positions outside the input are
    zeros, so they simply get no column.

    Args:
        out_size, in_size, canvas_size: Python ints.
        crop_start, crop_size: int tensors `[B]` (crop_size >= 1).

    Returns:
        float32 `[B, out_size, in_size]`; `output = matrix @ input` along the axis.
    """
    crop_start = tf.cast(crop_start, tf.int32)[:, None]
    crop_size = tf.cast(crop_size, tf.int32)[:, None]
    offset = (canvas_size - in_size) // 2
    scale = tf.cast(crop_size - 1, tf.float32) / float(max(out_size - 1, 1))
    source = tf.range(out_size, dtype=tf.float32)[None, :] * scale
    floor = tf.floor(source)
    t = source - floor
    floor = tf.cast(floor, tf.int32)
    columns = tf.range(in_size, dtype=tf.int32)
    matrix = 0.0
    for tap, weight in zip(range(-1, 3), _cubic_weights(t)):
        in_crop = tf.clip_by_value(floor + tap, 0, crop_size - 1)
        in_input = crop_start + in_crop - offset  # may fall outside: a zero of the canvas
        hit = tf.cast(tf.equal(in_input[:, :, None], columns[None, None, :]), tf.float32)
        matrix += weight[:, :, None] * hit
    return matrix


def resize_crop(inputs, freq_start, freq_size, time_start, time_size, virtual_crop_scale=(1.0, 1.5)):
    """Crops each sample of `[B, F, T, C]` on its zero-padded canvas and resizes it back.

    Args:
        inputs: `[B, F, T, C]` float32.
        freq_start, freq_size, time_start, time_size: int tensors `[B]`,
            the crop in canvas coordinates (canvas `int(F·scale_f)` by
            `int(T·scale_t)`, input centred).
        virtual_crop_scale: (frequency, time) canvas scale.
    """
    inputs = tf.cast(inputs, tf.float32)
    n_freq, n_time = int(inputs.shape[1]), int(inputs.shape[2])
    canvas_f = int(n_freq * virtual_crop_scale[0])
    canvas_t = int(n_time * virtual_crop_scale[1])
    freq_matrix = bicubic_crop_matrix(n_freq, n_freq, canvas_f, freq_start, freq_size)
    time_matrix = bicubic_crop_matrix(n_time, n_time, canvas_t, time_start, time_size)
    # Two small batched matmuls instead of crop_and_resize, which XLA cannot compile.
    outputs = keras.ops.einsum("bof,bftc->botc", freq_matrix, inputs)
    return keras.ops.einsum("bpt,botc->bopc", time_matrix, outputs)


@keras.saving.register_keras_serializable(package="keras_audio_ssl")
class RandomResizeCrop(SeededRandomLayer):
    """BYOL-A's Random Resize Crop: approximate pitch shift and time stretch.

    Niizumi et al., 2021, Sec. III-C, following the official code: each
    sample is placed centred on a virtual canvas of zeros
    `int(F·virtual_crop_scale[0])` by `int(T·virtual_crop_scale[1])`; a crop of
    `h = clip(floor(U(freq_scale)·F), 1, canvas_F)` bins by
    `w = clip(floor(U(time_scale)·T), 1, canvas_T)` frames is taken at a
    uniformly random integer position inside the canvas, and resized back to
    `F × T` with bicubic interpolation (align_corners=True, as the official
    `F.interpolate` call). Parameters are drawn per sample.

    Implemented as two per-sample interpolation matrices (`[B, F, F]` and
    `[B, T, T]`, zero columns for canvas outside the input) applied with
    batched matmuls, so it runs on accelerators and under XLA.

    Args:
        virtual_crop_scale: (frequency, time) size of the canvas relative to
            the input, each >= 1.
        freq_scale: (min, max) crop height relative to F.
        time_scale: (min, max) crop width relative to T.
        seed: int or None. Seed of the layer's random state.
        **kwargs: base layer arguments.

    Call arguments:
        inputs: `[B, F, T, C]` float32. training: identity when False.
        seed: optional `[2]` int tensor, a stateless seed for this call.

    Example:
    ```python
    rrc = RandomResizeCrop()
    view = rrc(log_mels, training=True)
    ```
    """

    def __init__(
        self,
        virtual_crop_scale=(1.0, 1.5),
        freq_scale=(0.6, 1.5),
        time_scale=(0.6, 1.5),
        seed=None,
        **kwargs,
    ):
        super().__init__(seed=seed, **kwargs)
        for name, value in (
            ("virtual_crop_scale", virtual_crop_scale),
            ("freq_scale", freq_scale),
            ("time_scale", time_scale),
        ):
            if len(value) != 2 or not 0 < value[0] <= value[1]:
                raise ValueError(
                    f"`{name}` must be a pair (low, high) with 0 < low <= high. Received: {name}={value}"
                )
        if min(virtual_crop_scale) < 1.0:
            raise ValueError(
                "`virtual_crop_scale` must be >= 1 on both axes (the canvas holds the input). "
                f"Received: virtual_crop_scale={virtual_crop_scale}"
            )
        self.virtual_crop_scale = tuple(float(v) for v in virtual_crop_scale)
        self.freq_scale = tuple(float(v) for v in freq_scale)
        self.time_scale = tuple(float(v) for v in time_scale)

    def build(self, input_shape):
        if len(input_shape) != 4 or input_shape[1] is None or input_shape[2] is None:
            raise ValueError(
                f"RandomResizeCrop needs inputs [B, F, T, C] with known F and T. Received: input_shape={input_shape}"
            )
        super().build(input_shape)

    def draw_crop_params(self, batch_size, n_freq, n_time, seed):
        """Random crops `(freq_start, freq_size, time_start, time_size)`, int32 `[B]` each."""
        canvas_f = int(n_freq * self.virtual_crop_scale[0])
        canvas_t = int(n_time * self.virtual_crop_scale[1])
        u = seeding.uniform([4, batch_size], seed)

        def size(u_scale, scale, n, canvas):
            drawn = tf.floor((scale[0] + (scale[1] - scale[0]) * u_scale) * n)
            return tf.clip_by_value(tf.cast(drawn, tf.int32), 1, canvas)

        def start(u_start, size_, canvas):
            # Uniform integer in [0, canvas - size], both ends included (random.randint).
            room = tf.cast(canvas - size_ + 1, tf.float32)
            return tf.minimum(tf.cast(tf.floor(u_start * room), tf.int32), canvas - size_)

        freq_size = size(u[0], self.freq_scale, n_freq, canvas_f)
        time_size = size(u[1], self.time_scale, n_time, canvas_t)
        return (
            start(u[2], freq_size, canvas_f),
            freq_size,
            start(u[3], time_size, canvas_t),
            time_size,
        )

    def call(self, inputs, training=True, seed=None):
        inputs = keras.ops.cast(inputs, "float32")
        if not training:
            return inputs
        seed = self.next_seed(seed)
        params = self.draw_crop_params(tf.shape(inputs)[0], int(inputs.shape[1]), int(inputs.shape[2]), seed)
        return resize_crop(inputs, *params, virtual_crop_scale=self.virtual_crop_scale)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "virtual_crop_scale": self.virtual_crop_scale,
                "freq_scale": self.freq_scale,
                "time_scale": self.time_scale,
            }
        )
        return config
