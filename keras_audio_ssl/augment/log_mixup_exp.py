import keras
import numpy as np

# The official code adds float32 machine epsilon inside the log.
FLOAT32_EPS = float(np.finfo(np.float32).eps)


def log_mixup_exp(x, z, mix_ratio, eps=FLOAT32_EPS):
    """`log((1 - λ)·exp(x) + λ·exp(z) + eps)`, BYOL-A's mixing of log-scale inputs.

    Computed as a log-sum-exp of `log(1-λ) + x`, `log(λ) + z` and `log(eps)`,
    which equals the official formula but neither overflows for large inputs
    nor underflows to `log(0)` for very negative ones.

    Args:
        x: tensor, the log-scale input kept mostly (weight `1 - λ`).
        z: tensor broadcastable to `x`, the log-scale mixing counterpart.
        mix_ratio: λ, tensor broadcastable to `x`, in [0, 1].
        eps: float added inside the log.
    """
    ops = keras.ops
    x = ops.convert_to_tensor(x)
    mix_ratio = ops.cast(mix_ratio, x.dtype)
    a = ops.log(1.0 - mix_ratio) + x
    b = ops.log(mix_ratio) + ops.cast(z, x.dtype)
    c = ops.full_like(x, np.log(eps))
    # log(0) = -inf for λ in {0, 1} is fine: exp(-inf - m) = 0 and m is finite.
    m = ops.maximum(ops.maximum(a, b), c)
    return m + ops.log(ops.exp(a - m) + ops.exp(b - m) + ops.exp(c - m))
