"""COLA's contrastive loss over bilinear similarities."""

from keras import ops

from keras_audio_ssl.precision import to_float32


def bilinear_loss(logits, return_diagnostics=False, labels=None):
    """Cross-entropy of each anchor against its row of in-batch candidates.

    COLA (Saeed et al., 2021): row i of `logits` `[B, C]` (e.g. from
    `heads.BilinearSimilarity`) scores anchor i against every candidate; the
    positive is candidate `labels[i]` (default i: the diagonal), the others
    are negatives. Mean over anchors.

    Args:
        logits: `[B, C]` similarities (C = B on one device; the global batch
            when the candidates were gathered from every replica).
        return_diagnostics: also return `{"labels", "accuracy", "entropy"}`:
            the fraction of anchors whose positive ranks first, and the mean
            entropy (nats) of the softmax over candidates (log C when uniform).
        labels: int `[B]`, the positive's column for each row.

    Example:
    >>> bilinear_loss(10.0 * np.eye(4))  # close to 0
    """
    logits = to_float32(logits)  # the log-sum-exp in float32 under a mixed policy
    if labels is None:
        labels = ops.arange(ops.shape(logits)[0])
    log_probs = logits - ops.logsumexp(logits, axis=-1, keepdims=True)
    picked = ops.take_along_axis(log_probs, ops.expand_dims(ops.cast(labels, "int32"), -1), axis=-1)
    loss = -ops.mean(picked)
    if not return_diagnostics:
        return loss
    accuracy = ops.mean(ops.cast(ops.equal(ops.argmax(logits, axis=-1), ops.cast(labels, "int32")), "float32"))
    entropy = -ops.mean(ops.sum(ops.exp(log_probs) * log_probs, axis=-1))
    return loss, {"labels": labels, "accuracy": accuracy, "entropy": entropy}
