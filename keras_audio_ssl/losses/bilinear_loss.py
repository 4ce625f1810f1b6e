"""COLA's contrastive loss over bilinear similarities."""

from keras import ops


def bilinear_loss(logits, return_diagnostics=False):
    """Cross-entropy of each anchor against the B in-batch candidates.

    COLA (Saeed et al., 2021): row i of `logits` `[B, B]` (e.g. from
    `heads.BilinearSimilarity`) scores anchor i against every candidate; the
    positive is candidate i, the others are negatives. Mean over anchors.

    Args:
        logits: `[B, B]` similarities.
        return_diagnostics: also return `{"labels", "accuracy"}`.

    Example:
    >>> bilinear_loss(10.0 * np.eye(4))  # close to 0
    """
    batch = ops.shape(logits)[0]
    labels = ops.arange(batch)
    log_probs = logits - ops.logsumexp(logits, axis=-1, keepdims=True)
    loss = -ops.mean(ops.diagonal(log_probs))
    if not return_diagnostics:
        return loss
    accuracy = ops.mean(ops.cast(ops.equal(ops.argmax(logits, axis=-1), labels), "float32"))
    return loss, {"labels": labels, "accuracy": accuracy}
