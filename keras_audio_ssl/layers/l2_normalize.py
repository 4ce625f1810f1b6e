"""L2 normalization along the last axis, as `torch.nn.functional.normalize` does it."""

from keras import ops


def l2_normalize(x, axis=-1, epsilon=1e-12):
    """`x / max(||x||, epsilon)` along `axis` (the eps clamps the norm, like torch's).

    Example:
    >>> l2_normalize(np.array([[3.0, 4.0]]))  # [[0.6, 0.8]]
    """
    norm = ops.sqrt(ops.sum(ops.square(x), axis=axis, keepdims=True))
    return x / ops.maximum(norm, epsilon)
