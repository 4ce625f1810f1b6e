"""SlowFast NFNet-F0, the encoder of HARES (Wang et al., "Towards Learning Universal Audio Representations", 2022).

Two normalizer-free pathways on one log-mel: a wide Slow one on the spectrogram
strided 4x in time and a narrow Fast one at full time resolution, fused by
lateral connections. The NFNet parts (scaled weight-standardized convolutions,
scaled activations, NF bottleneck blocks) are Brock et al., "High-Performance
Large-Scale Image Recognition Without Normalization" (ICML 2021), after the
authors' code (deepmind-research `nfnets/nfnet.py`, `base.py`).
"""

import math

import keras
from keras import layers
from keras import ops

from keras_audio_ssl.encoders.blocks import FrequencyPooling
from keras_audio_ssl.encoders.blocks import check_positive_int

# NFNet-F0 (Brock et al. 2021, Table 1 / `nfnet_params["F0"]`).
F0_STAGE_WIDTHS = (256, 512, 1536, 1536)
F0_STAGE_DEPTHS = (1, 2, 6, 3)
F0_STAGE_STRIDES = (1, 2, 2, 2)
F0_STEM_WIDTHS = (16, 32, 64, 128)
F0_STEM_STRIDES = (2, 1, 1, 2)
GROUP_WIDTH = 128
BOTTLENECK_RATIO = 0.5
SE_RATIO = 0.5
# SlowFast (Feichtenhofer et al. 2019) as HARES sets it: the Slow pathway sees every
# 4th spectrogram frame (alpha) and has 8x the Fast pathway's channels (1 / beta).
SPEED_RATIO = 4
CHANNEL_RATIO = 8
LATERAL_KERNEL = 5  # SlowFast's time-strided convolution: 5 frames, 2 beta C channels

# NFNet's `nonlinearities`: gamma makes the activation of N(0, 1) unit-variance.
ACTIVATION_GAMMAS = {"gelu": 1.7015043497085571, "relu": 1.7139588594436646}


def _fan_in_initializer():
    # NFNet's WSConv2D init: VarianceScaling(1.0, "fan_in", "normal") (WS is insensitive to it).
    return keras.initializers.VarianceScaling(1.0, mode="fan_in", distribution="untruncated_normal")


@keras.saving.register_keras_serializable(package="keras_audio_ssl")
class WSConv2D(layers.Conv2D):
    """Conv2D with NFNet's scaled weight standardization and a learnable gain.

    The kernel `W` (`[kh, kw, C_in / groups, C_out]`) is used as

        W_hat[..., o] = g_o * (W[..., o] - mean_o) / sqrt(max(N * var_o, eps))

    with `N = kh * kw * C_in / groups` the fan-in, `mean_o` and `var_o`
    the mean and (biased) variance of output channel `o`'s `N` weights and
    `g` a per-output-channel gain initialised to 1: each output channel's
    kernel is standardised to zero mean and unit variance over its fan-in,
    then scaled by `g_o / sqrt(N)` (Brock et al. 2021, Sec. 3 / their
    `WSConv2D.standardize_weight`, eps 1e-4). The bias is always used, as in
    NFNet. Grouped convolutions run as one convolution per group, so they
    need neither XLA (TensorFlow's CPU kernels lack grouped convolution) nor
    Flex ops in TFLite.

    Args:
        eps: float. Floor of `N * var` (NFNet: 1e-4).
        **kwargs: as `keras.layers.Conv2D`.

    Example:
    >>> WSConv2D(8, 3, padding="same")(np.ones((2, 16, 10, 4))).shape
    TensorShape([2, 16, 10, 8])
    """

    def __init__(self, *args, eps=1e-4, **kwargs):
        kwargs.setdefault("kernel_initializer", _fan_in_initializer())
        super().__init__(*args, **kwargs)
        if not eps > 0:
            raise ValueError(f"`eps` must be positive. Received: eps={eps}")
        self.eps = eps

    def build(self, input_shape):
        super().build(input_shape)
        self.gain = self.add_weight(name="gain", shape=(self.filters,), initializer="ones", trainable=True)

    def standardized_kernel(self):
        """The kernel the convolution uses: `W_hat` of the class docstring."""
        # Under a mixed policy the kernel is read in bfloat16 / float16: standardize in float32
        # (a variance over hundreds of weights), hand the convolution its compute dtype.
        kernel = ops.cast(self.kernel, "float32")
        fan_in = math.prod(kernel.shape[:-1])
        mean = ops.mean(kernel, axis=(0, 1, 2), keepdims=True)
        var = ops.var(kernel, axis=(0, 1, 2), keepdims=True)
        scale = ops.rsqrt(ops.maximum(var * fan_in, self.eps)) * ops.cast(self.gain, "float32")
        return ops.cast((kernel - mean) * scale, self.compute_dtype)

    def call(self, inputs):
        kernel = self.standardized_kernel()
        if self.groups == 1:
            outputs = self.convolution_op(inputs, kernel)
        else:
            # Group g maps input channels [g C_in/G, (g+1) C_in/G) to output channels
            # [g C_out/G, (g+1) C_out/G): TensorFlow's grouped-convolution layout.
            pieces = zip(ops.split(inputs, self.groups, axis=-1), ops.split(kernel, self.groups, axis=-1))
            outputs = ops.concatenate([self.convolution_op(x, k) for x, k in pieces], axis=-1)
        if self.use_bias:
            outputs = outputs + self.bias
        if self.activation is not None:
            outputs = self.activation(outputs)
        return outputs

    # Conv2D saves only kernel and bias; the gain goes after them.
    def save_own_variables(self, store):
        super().save_own_variables(store)
        if self.built:
            store[str(1 + int(self.use_bias))] = self.gain

    def load_own_variables(self, store):
        super().load_own_variables(store)
        if self.built:
            self.gain.assign(store[str(1 + int(self.use_bias))])

    def get_config(self):
        config = super().get_config()
        config["eps"] = self.eps
        return config


@keras.saving.register_keras_serializable(package="keras_audio_ssl")
class ScaledActivation(layers.Layer):
    """NFNet's activation with its magic constant, times a scalar: `scale * gamma * f(x)`.

    `gamma` makes `f` of a unit Gaussian unit-variance (1.7015043497085571
    for GELU, 1.7139588594436646 for ReLU; Brock et al. 2021, App. / their
    `nonlinearities`). The GELU is the tanh approximation, `jax.nn.gelu`'s
    default, which NFNet uses. `scale` carries a block's `beta = 1 / expected
    std` where the block's input is scaled.

    Args:
        activation: `"gelu"` (NFNet-F) or `"relu"`.
        scale: float. Extra factor (1.0).

    Example:
    >>> ScaledActivation("relu")(np.ones((2, 3))).numpy()[0, 0]
    1.7139589
    """

    def __init__(self, activation="gelu", scale=1.0, **kwargs):
        super().__init__(**kwargs)
        if activation not in ACTIVATION_GAMMAS:
            raise ValueError(
                f"`activation` must be one of {sorted(ACTIVATION_GAMMAS)}. Received: activation={activation!r}"
            )
        self.activation = activation
        self.scale = float(scale)

    def call(self, inputs):
        if self.activation == "gelu":
            outputs = keras.activations.gelu(inputs, approximate=True)
        else:
            outputs = ops.relu(inputs)
        return outputs * (ACTIVATION_GAMMAS[self.activation] * self.scale)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"activation": self.activation, "scale": self.scale})
        return config


@keras.saving.register_keras_serializable(package="keras_audio_ssl")
class NFSqueezeExcite(layers.Layer):
    """NFNet's squeeze-and-excite: `2 * sigmoid(fc1(relu(fc0(mean_FT(x))))) * x`.

    Hidden width `max(1, int(C * se_ratio))`; the factor 2 keeps the
    signal's scale at initialisation (Brock et al. 2021, Sec. 4.1 / their
    `NFBlock`: `(self.se(out) * 2) * out`). Dense layers initialised like
    Haiku's `Linear` (truncated normal, std `1 / sqrt(fan_in)`, zero bias).

    Args:
        se_ratio: float. Hidden width / channels (0.5).

    Example:
    >>> NFSqueezeExcite()(np.ones((2, 4, 6, 8))).shape
    TensorShape([2, 4, 6, 8])
    """

    def __init__(self, se_ratio=SE_RATIO, **kwargs):
        super().__init__(**kwargs)
        if not se_ratio > 0:
            raise ValueError(f"`se_ratio` must be positive. Received: se_ratio={se_ratio}")
        self.se_ratio = se_ratio

    def build(self, input_shape):
        channels = int(input_shape[-1])
        init = keras.initializers.VarianceScaling(1.0, mode="fan_in", distribution="truncated_normal")
        self.fc0 = layers.Dense(max(1, int(channels * self.se_ratio)), kernel_initializer=init, name="fc0")
        self.fc1 = layers.Dense(channels, kernel_initializer=init, name="fc1")
        self.fc0.build((None, channels))
        self.fc1.build((None, self.fc0.units))

    def call(self, inputs):
        h = ops.mean(inputs, axis=(1, 2))
        h = self.fc1(ops.relu(self.fc0(h)))
        return inputs * (2.0 * ops.sigmoid(h)[:, None, None, :])

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["se_ratio"] = self.se_ratio
        return config


@keras.saving.register_keras_serializable(package="keras_audio_ssl")
class NFResidual(layers.Layer):
    """The end of an NF block: `shortcut + alpha * skip_gain * drop(residual)`.

    `skip_gain` is a learnable scalar initialised to 0 (SkipInit, De & Smith
    2020), so every block starts as the identity; `alpha` (0.2) sets how
    fast the signal's variance grows (Brock et al. 2021, Sec. 3). `drop` is
    NFNet's stochastic depth: in training, each example's residual is
    zeroed with probability `drop_rate`, without rescaling (their
    `StochDepth(scale_by_keep=False)`); identity at inference.

    Args:
        alpha: float. Residual scale (0.2).
        drop_rate: float in [0, 1). Stochastic-depth rate (0: off).
        seed: int or None. Seed of the stochastic-depth draws.

    Example:
    >>> NFResidual()([np.ones((2, 4, 6, 8)), np.zeros((2, 4, 6, 8))]).numpy().max()
    0.0
    """

    def __init__(self, alpha=0.2, drop_rate=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0.0 <= drop_rate < 1.0:
            raise ValueError(f"`drop_rate` must be in [0, 1). Received: drop_rate={drop_rate}")
        self.alpha = float(alpha)
        self.drop_rate = float(drop_rate)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed) if drop_rate > 0 else None

    def build(self, input_shape):
        self.skip_gain = self.add_weight(name="skip_gain", shape=(), initializer="zeros", trainable=True)

    def call(self, inputs, training=None):
        residual, shortcut = inputs
        if training and self.drop_rate > 0:
            batch = ops.shape(residual)[0]
            draw = keras.random.uniform((batch,) + (1,) * (len(residual.shape) - 1), seed=self.seed_generator,
                                        dtype=residual.dtype)
            residual = residual * ops.floor(1.0 - self.drop_rate + draw)
        return shortcut + residual * (self.skip_gain * self.alpha)

    def compute_output_shape(self, input_shape):
        return input_shape[1]

    def get_config(self):
        config = super().get_config()
        config.update({"alpha": self.alpha, "drop_rate": self.drop_rate, "seed": self.seed})
        return config


def _channels(width, scale):
    return max(1, int(round(width * scale)))


def _conv(x, filters, kernel_size, strides, name, groups=1):
    return WSConv2D(filters, kernel_size, strides=strides, padding="same", groups=groups, name=name)(x)


def _stem(x, scale, activation, name):
    """NFNet's stem: 3x3 WS convs 16 /2, 32, 64, 128 /2 (x `scale`), activations between."""
    for i, (width, stride) in enumerate(zip(F0_STEM_WIDTHS, F0_STEM_STRIDES)):
        if i:
            x = ScaledActivation(activation, name=f"{name}_act{i - 1}")(x)
        x = _conv(x, _channels(width, scale), 3, stride, f"{name}_conv{i}")
    return x


def _nf_block(x, out_channels, freq_stride, group_width, beta, alpha, drop_rate, activation, seed, name):
    """NFNet's bottleneck block (their `NFBlock`, `use_two_convs=True`, `big_width=True`)."""
    in_channels = x.shape[-1]
    groups = max(1, int(out_channels * BOTTLENECK_RATIO) // group_width)
    width = group_width * groups
    strides = (freq_stride, 1)
    out = ScaledActivation(activation, scale=beta, name=f"{name}_act0")(x)
    if freq_stride > 1:  # average-pool downsample, then project
        shortcut = layers.AveragePooling2D(strides, strides=strides, padding="same", name=f"{name}_shortcut_pool")(out)
        shortcut = _conv(shortcut, out_channels, 1, 1, f"{name}_conv_shortcut")
    elif in_channels != out_channels:
        shortcut = _conv(out, out_channels, 1, 1, f"{name}_conv_shortcut")
    else:
        shortcut = x
    y = _conv(out, width, 1, 1, f"{name}_conv0")
    y = ScaledActivation(activation, name=f"{name}_act1")(y)
    y = _conv(y, width, 3, strides, f"{name}_conv1", groups=groups)
    y = ScaledActivation(activation, name=f"{name}_act2")(y)
    y = _conv(y, width, 3, 1, f"{name}_conv1b", groups=groups)
    y = ScaledActivation(activation, name=f"{name}_act3")(y)
    y = _conv(y, out_channels, 1, 1, f"{name}_conv2")
    y = NFSqueezeExcite(SE_RATIO, name=f"{name}_se")(y)
    return NFResidual(alpha, drop_rate, seed=seed, name=f"{name}_residual")([y, shortcut])


def _lateral(fast, slow, activation, name):
    """SlowFast's time-strided convolution from Fast to Slow, concatenated into Slow."""
    y = ScaledActivation(activation, name=f"{name}_act")(fast)
    y = _conv(y, 2 * fast.shape[-1], (1, LATERAL_KERNEL), (1, SPEED_RATIO), f"{name}_conv")
    return layers.Concatenate(axis=-1, name=f"{name}_concat")([slow, y])


def _check_number(name, value, low=0.0, high=None, low_open=True):
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and (value > low if low_open else value >= low) and (high is None or value < high)
    if not ok:
        bound = f"> {low}" if low_open else f">= {low}"
        bound += f" and < {high}" if high is not None else ""
        raise ValueError(f"`{name}` must be a number {bound}. Received: {name}={value!r}")


@keras.saving.register_keras_serializable(package="keras_audio_ssl")
class SlowFastNFNetF0(keras.Model):
    """SlowFast NFNet-F0 of HARES (Wang et al., "Towards Learning Universal
    Audio Representations", ICASSP 2022), the paper's best encoder.

    HARES (Sec. 3 and appendix) combines SlowFast (Feichtenhofer et al.,
    "SlowFast Networks for Video Recognition", ICCV 2019) with NFNet-F0
    (Brock et al., "High-Performance Large-Scale Image Recognition Without
    Normalization", ICML 2021): the Slow pathway has 8x the channels of
    the Fast one and sees the spectrogram strided by 4 in time. The rest
    is fixed here as follows:

    - Input `[B, F, T, 1]`. Slow input: every 4th frame (`x[:, :, ::4]`,
      a 1x1 average pool of time stride 4, so `time_downsampling` counts
      it), `ceil(T/4)` frames. Fast input: all `T` frames.
    - Each pathway is NFNet-F0 without its classifier head: stem of 3x3
      WS convs 16/2, 32, 64, 128/2 with scaled GELUs between, then four
      stages of NF bottleneck blocks, widths 256, 512, 1536, 1536, depths
      1, 2, 6, 3, strides 1, 2, 2, 2 (Brock et al. Table 1). The Fast
      pathway has 1/8 of every width (stem 2, 4, 8, 16; stages 32, 64,
      192, 192) and 1/8 of the group width (16), so both keep NFNet's
      group counts 1, 2, 6, 6.
    - NF block (Brock et al. Sec. 3-4, their `NFBlock`): `h = gamma
      GELU(x) * beta`, `beta = 1 / expected std` (reset to 1 after each
      stage's first block, then `sqrt(std^2 + alpha^2)` per block);
      1x1 conv to half the width, two grouped 3x3 convs (group width 128),
      1x1 conv back, SE (ratio 0.5, x2), `x + alpha * skip_gain * residual`
      with `alpha = 0.2` and `skip_gain` initialised to 0; shortcut: 2x
      average pool + 1x1 conv on a strided block, 1x1 conv on a width
      change; stochastic depth at rate `0.1 i / n` for block `i` of `n`.
      Every convolution is a `WSConv2D`; there is no normalization layer
      anywhere.
    - Strides. Frequency follows NFNet exactly (stem /4, stages /2, /2,
      /2: `F / 32`, 2 bins for 64 mels). Time is strided by the stem only
      (/4): the residual stages stride frequency alone, as SlowFast keeps
      temporal stride 1 in every residual stage so the Fast pathway keeps
      its fine time resolution (Feichtenhofer et al. Sec. 3.4, Table 1;
      HARES: the Fast pathway's "fine-grained temporal resolution"). At a
      10 ms hop the Fast pathway's frames are 40 ms, the Slow pathway's
      160 ms, close to SlowFast's 67 / 533 ms on video; NFNet's time
      strides in stages 2-4 would leave 1.28 s Slow frames.
    - Lateral connections (Feichtenhofer et al. Sec. 3.3, their best
      variant, "time-strided convolution", fused by concatenation): after
      the stem and after stages 1-3 (not after the last, as SlowFast's
      res2-res4), the Fast stream goes through the scaled activation and a
      WS conv of kernel 1 (frequency) x 5 (time), stride 4 in time, with
      2x its channels, and is concatenated to the Slow stream. Both
      pathways stride frequency alike, so the shapes match; the Slow
      stage after a lateral thus takes `C + 2 C/8` channels.
    - Head. NFNet's `final_conv` (1x1 to 2x width), dropout and classifier
      are left out, so d is the two last stages' widths: each pathway ends
      in its scaled activation (as NFNet's head does) and a mean over
      frequency; the Fast frames are averaged 4 by 4 to the Slow frame
      rate (`AveragePooling1D`, "same": the last, partial group is
      averaged over its frames) and concatenated after the Slow ones:
      frames `[B, ceil(T/16), 1536 + 192 = 1728]`. The last layer pools
      them over time (`GlobalAveragePooling1D`) into the clip embedding
      `[B, 1728]`, which equals SlowFast's global average pooling of both
      pathways concatenated whenever `ceil(T/4)` is a multiple of 4.

    Trainable parameters at full width: 66,362,798 (any `n_mels`; no
    non-trainable weights). The time downsampling is 16: give it at least
    16 log-mel frames for one output frame.

    Args:
        n_mels: int. Mel bins F of the input.
        return_frames: bool. Return frames `[B, ceil(T/16), d]` instead of
            the pooled `[B, d]`.
        width_multiplier: float. Scales every width of both pathways
            (stem, stages, group width), rounded, at least 1 (NFNet's
            `width`); d = `round(1536 m) + round(192 m)`. 1.0 is F0.
        stage_depths: 4 ints. Blocks per stage (F0: 1, 2, 6, 3).
        stochastic_depth_rate: float in [0, 1). NFNet's `stochdepth_rate`
            (0.1): block `i` of `n` drops its residual with rate `r i / n`.
        activation: `"gelu"` (NFNet-F) or `"relu"`, with NFNet's gamma.
        alpha: float. NF residual scale (0.2).
        seed: int or None. Seed of the stochastic-depth draws.

    Example:
    >>> SlowFastNFNetF0(width_multiplier=0.125, stage_depths=(1, 1, 1, 1))(
    ...     np.zeros((2, 64, 96, 1), "float32")).shape
    TensorShape([2, 216])
    """

    def __init__(
        self,
        n_mels=64,
        return_frames=False,
        width_multiplier=1.0,
        stage_depths=F0_STAGE_DEPTHS,
        stochastic_depth_rate=0.1,
        activation="gelu",
        alpha=0.2,
        seed=None,
        **kwargs,
    ):
        check_positive_int("n_mels", n_mels)
        _check_number("width_multiplier", width_multiplier)
        _check_number("stochastic_depth_rate", stochastic_depth_rate, 0.0, 1.0, low_open=False)
        _check_number("alpha", alpha)
        stage_depths = tuple(stage_depths) if isinstance(stage_depths, (list, tuple)) else stage_depths
        if not (isinstance(stage_depths, tuple) and len(stage_depths) == 4):
            raise ValueError(f"`stage_depths` must be 4 positive integers. Received: stage_depths={stage_depths!r}")
        for depth in stage_depths:
            check_positive_int("stage_depths", depth)
        if activation not in ACTIVATION_GAMMAS:
            raise ValueError(
                f"`activation` must be one of {sorted(ACTIVATION_GAMMAS)}. Received: activation={activation!r}"
            )
        scales = {"slow": width_multiplier, "fast": width_multiplier / CHANNEL_RATIO}
        num_blocks = sum(stage_depths)

        # === Functional graph ===
        inputs = keras.Input(shape=(n_mels, None, 1), name="log_mel")
        streams = {
            "slow": layers.AveragePooling2D((1, 1), strides=(1, SPEED_RATIO), name="slow_time_subsample")(inputs),
            "fast": inputs,
        }
        streams = {path: _stem(x, scales[path], activation, f"{path}_stem") for path, x in streams.items()}
        streams["slow"] = _lateral(streams["fast"], streams["slow"], activation, "lateral_stem")
        index = 0
        expected_std = 1.0
        for stage, (width, depth, stride) in enumerate(zip(F0_STAGE_WIDTHS, stage_depths, F0_STAGE_STRIDES)):
            for block in range(depth):
                for path in ("slow", "fast"):
                    streams[path] = _nf_block(
                        streams[path],
                        _channels(width, scales[path]),
                        stride if block == 0 else 1,
                        _channels(GROUP_WIDTH, scales[path]),
                        beta=1.0 / expected_std,
                        alpha=alpha,
                        drop_rate=stochastic_depth_rate * index / num_blocks,
                        activation=activation,
                        seed=None if seed is None else seed + 2 * index + (path == "fast"),
                        name=f"{path}_stage{stage + 1}_block{block}",
                    )
                index += 1
                if block == 0:  # NFNet: a transition block resets the expected std
                    expected_std = 1.0
                expected_std = (expected_std**2 + alpha**2) ** 0.5
            if stage < 3:
                streams["slow"] = _lateral(streams["fast"], streams["slow"], activation, f"lateral_stage{stage + 1}")
        frames = []
        for path in ("slow", "fast"):
            x = ScaledActivation(activation, name=f"{path}_final_act")(streams[path])
            frames.append(FrequencyPooling("mean", name=f"{path}_frequency_mean_pool")(x))
        frames[1] = layers.AveragePooling1D(SPEED_RATIO, strides=SPEED_RATIO, padding="same",
                                            name="fast_to_slow_frame_rate")(frames[1])
        x = layers.Concatenate(axis=-1, name="frames")(frames)
        if not return_frames:
            x = layers.GlobalAveragePooling1D(name="time_mean_pool")(x)
        kwargs.setdefault("name", "slowfast_nfnet_f0")
        super().__init__(inputs=inputs, outputs=x, **kwargs)

        # === Config ===
        self.n_mels = n_mels
        self.return_frames = return_frames
        self.width_multiplier = width_multiplier
        self.stage_depths = stage_depths
        self.stochastic_depth_rate = stochastic_depth_rate
        self.activation = activation
        self.alpha = alpha
        self.seed = seed
        self.output_dim = int(x.shape[-1])

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "n_mels": self.n_mels,
            "return_frames": self.return_frames,
            "width_multiplier": self.width_multiplier,
            "stage_depths": list(self.stage_depths),
            "stochastic_depth_rate": self.stochastic_depth_rate,
            "activation": self.activation,
            "alpha": self.alpha,
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)
