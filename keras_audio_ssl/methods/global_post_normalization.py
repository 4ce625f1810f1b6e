"""BYOL-A's Post-Normalization of the views over the global batch (all replicas): BYOL-A's and COLA's views."""

from keras import ops

from keras_audio_ssl import distribute


def post_normalize_global(post_norm, views, stats=None):
    """BYOL-A's post-normalization of `views` with the global batch's statistics.

    On one device the `PostNormalization` layer itself; under a strategy the
    layer would see only this replica's views, so the all-reduced mean/std
    (`stats` if the caller already has them) are applied instead.
    """
    if distribute.replica_context() is None:
        return post_norm(views, training=True)
    mean, std = distribute.global_mean_std(views) if stats is None else stats
    return (views - mean) / ops.maximum(std, post_norm.epsilon)
