"""NT-Xent (normalized temperature-scaled cross-entropy) loss."""

from keras import ops

from keras_audio_ssl.layers import l2_normalize


def nt_xent_loss(z1, z2, temperature=0.1, return_diagnostics=False):
    """SimCLR's NT-Xent over a batch of positive pairs `(z1[i], z2[i])`.

    Each of the 2B embeddings is classified against the other 2B - 1 by
    cosine similarity / temperature; its pair is the positive (Chen et al.,
    2020; Fonseca et al., 2021 for audio). Mean over the 2B anchors.

    Args:
        z1, z2: `[B, D]` embeddings of the two views.
        temperature: float > 0.
        return_diagnostics: also return a dict with `logits` `[2B, 2B]`
            (self-similarity masked), `labels` `[2B]` and `accuracy`.

    Example:
    >>> nt_xent_loss(np.eye(4)[:2], np.eye(4)[:2], temperature=0.5)
    """
    if not temperature > 0:
        raise ValueError(
            f"`temperature` must be positive. Received: temperature={temperature}"
        )
    z = ops.concatenate([z1, z2], axis=0)
    z = l2_normalize(z)
    n = ops.shape(z)[0]
    batch = n // 2
    logits = ops.matmul(z, ops.transpose(z)) / temperature
    # Exclude each anchor's similarity with itself.
    logits = logits - 1e9 * ops.eye(n, dtype=logits.dtype)
    labels = ops.concatenate([ops.arange(batch) + batch, ops.arange(batch)], axis=0)
    log_probs = logits - ops.logsumexp(logits, axis=-1, keepdims=True)
    picked = ops.take_along_axis(log_probs, ops.expand_dims(labels, -1), axis=-1)
    loss = -ops.mean(picked)
    if not return_diagnostics:
        return loss
    accuracy = ops.mean(
        ops.cast(ops.equal(ops.argmax(logits, axis=-1), labels), "float32")
    )
    return loss, {"logits": logits, "labels": labels, "accuracy": accuracy}
