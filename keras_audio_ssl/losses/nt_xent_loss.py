"""NT-Xent (normalized temperature-scaled cross-entropy) loss."""

from keras import ops

from keras_audio_ssl.layers import l2_normalize
from keras_audio_ssl.precision import to_float32


def nt_xent_loss(z1, z2, temperature=0.1, return_diagnostics=False, all_z1=None, all_z2=None, offset=0):
    """SimCLR's NT-Xent over a batch of positive pairs `(z1[i], z2[i])`.

    Each of the 2B embeddings is classified against the other 2B - 1 by
    cosine similarity / temperature; its pair is the positive (Chen et al.,
    2020; Fonseca et al., 2021 for audio). Mean over the 2B anchors.

    Args:
        z1, z2: `[B, D]` embeddings of the two views (this replica's pairs).
        temperature: float > 0.
        return_diagnostics: also return a dict with `logits` `[2B, 2B_all]`
            (self-similarity masked), `labels` `[2B]`, `accuracy` (the
            positive ranked first) and `similarity_gap` (mean cosine of the
            positives minus mean cosine of the negatives).
        all_z1, all_z2: the global batch's embeddings gathered from every
            replica (`distribute.gather`), so the negatives are the global
            batch; default: this batch.
        offset: index of this replica's first pair in the global batch.

    Example:
    >>> nt_xent_loss(np.eye(4)[:2], np.eye(4)[:2], temperature=0.5)
    """
    if not temperature > 0:
        raise ValueError(
            f"`temperature` must be positive. Received: temperature={temperature}"
        )
    all_z1 = z1 if all_z1 is None else all_z1
    all_z2 = z2 if all_z2 is None else all_z2
    z1, z2, all_z1, all_z2 = to_float32(z1, z2, all_z1, all_z2)  # float32 under a mixed policy
    local = l2_normalize(ops.concatenate([z1, z2], axis=0))
    candidates = l2_normalize(ops.concatenate([all_z1, all_z2], axis=0))
    batch, total = ops.shape(z1)[0], ops.shape(all_z1)[0]
    cosine = ops.matmul(local, ops.transpose(candidates))
    rows = ops.arange(batch) + offset
    self_index = ops.concatenate([rows, rows + total], axis=0)
    labels = ops.concatenate([rows + total, rows], axis=0)
    is_self = ops.one_hot(self_index, 2 * total, dtype=cosine.dtype)
    # Exclude each anchor's similarity with itself.
    logits = cosine / temperature - 1e9 * is_self
    log_probs = logits - ops.logsumexp(logits, axis=-1, keepdims=True)
    picked = ops.take_along_axis(log_probs, ops.expand_dims(labels, -1), axis=-1)
    loss = -ops.mean(picked)
    if not return_diagnostics:
        return loss
    accuracy = ops.mean(
        ops.cast(ops.equal(ops.argmax(logits, axis=-1), labels), "float32")
    )
    is_positive = ops.one_hot(labels, 2 * total, dtype=cosine.dtype)
    is_negative = 1.0 - is_positive - is_self
    positive = ops.mean(ops.sum(cosine * is_positive, axis=-1))
    negative = ops.sum(cosine * is_negative) / ops.maximum(ops.sum(is_negative), 1.0)
    return loss, {
        "logits": logits,
        "labels": labels,
        "accuracy": accuracy,
        "similarity_gap": positive - negative,
    }
