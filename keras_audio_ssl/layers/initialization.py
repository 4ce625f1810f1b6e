"""Weight initialization schemes a method can start from (`"keras"` or `"torch"`).

Keras initializes kernels with Glorot-uniform and biases with zeros. PyTorch's
`nn.Linear` / `nn.Conv2d` default is Kaiming-uniform with a = sqrt(5) for the
weight and U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the bias: both reduce to
U(-1/sqrt(fan_in), 1/sqrt(fan_in)), gain sqrt(2 / (1 + a^2)) * sqrt(3 / fan_in).
The official BYOL-A code starts from PyTorch's default; with Adam the
starting scale sets the relative size of the first steps, so the scheme is
an ablation axis of its own (issue 17).
"""

import keras
import numpy as np

INITIALIZATIONS = ("keras", "torch")


def check_initialization(initialization):
    if initialization not in INITIALIZATIONS:
        raise ValueError(f"`initialization` must be one of {INITIALIZATIONS}. Received: initialization={initialization!r}")


def _fan_in(layer, kernel_shape):
    """Inputs per output unit as PyTorch counts them (a depthwise filter sees one channel)."""
    if isinstance(layer, keras.layers.DepthwiseConv2D):
        return int(np.prod(kernel_shape[:-2]))
    return int(np.prod(kernel_shape[:-1]))


def _initialized_layers(models):
    seen = set()
    for model in models:
        for layer in model._flatten_layers(include_self=True, recursive=True):
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            if isinstance(layer, (keras.layers.Dense, keras.layers.Conv1D, keras.layers.Conv2D,
                                  keras.layers.DepthwiseConv2D)):
                yield layer


def torch_default_initialization(models, seed=None):
    """Re-initializes every Dense / convolution kernel and bias in `models` as PyTorch's defaults do.

    Args:
        models: built Keras layers or models (nested layers are visited once each).
        seed: int or None; the same seed gives the same weights.

    Returns:
        The number of layers re-initialized (0 means nothing matched: a caller's bug).
    """
    rng = np.random.default_rng(seed)
    count = 0
    for layer in _initialized_layers(models):
        kernel = getattr(layer, "kernel", None)
        if kernel is None:  # not built
            continue
        shape = tuple(kernel.shape)
        bound = 1.0 / np.sqrt(max(1, _fan_in(layer, shape)))
        kernel.assign(rng.uniform(-bound, bound, size=shape).astype(kernel.dtype))
        bias = getattr(layer, "bias", None)
        if bias is not None:
            bias.assign(rng.uniform(-bound, bound, size=tuple(bias.shape)).astype(bias.dtype))
        count += 1
    return count


def apply_initialization(initialization, models, seed=None):
    """`"keras"` leaves the layers as built; `"torch"` re-initializes them (see the module docstring)."""
    check_initialization(initialization)
    if initialization == "torch":
        if not torch_default_initialization(models, seed):
            raise ValueError("initialization='torch' found no Dense or convolution layer to re-initialize")
