"""COLA's symmetric in-batch contrastive loss (bilinear or cosine similarity)."""

from keras import ops

from keras_audio_ssl.layers import l2_normalize
from keras_audio_ssl.losses.bilinear_loss import bilinear_loss
from keras_audio_ssl.precision import to_float32


def pair_similarity(anchors, candidates, kernel=None, temperature=0.2):
    """All-pairs similarity `[A, C]`: bilinear `a^T W c` with `kernel`, else cosine / temperature."""
    if kernel is not None:
        return ops.matmul(ops.matmul(anchors, kernel), ops.transpose(candidates))
    return ops.matmul(l2_normalize(anchors), ops.transpose(l2_normalize(candidates))) / temperature


def cola_loss(anchors, positives, kernel=None, temperature=0.2, all_anchors=None, all_positives=None, offset=0,
              symmetric=True):
    """Softmax cross-entropy over the batch (Saeed et al., 2021), one direction or both.

    Pair i is `(anchors[i], positives[i])`, two segments of one clip; the
    other clips' segments are the negatives. With S = sim(all anchors, all
    positives) (`pair_similarity`), the one-direction loss is the
    cross-entropy of each anchor's row (find its positive among all
    positives): COLA's L = -log exp s(x, x+) / sum over x- in X-(x) + {x+} of
    exp s(x, x-), as the paper writes it and the authors' code computes it.
    `symmetric=True` also takes each positive's column (find its anchor among
    all anchors) and averages the two (the same expectation, lower
    variance): `methods.MultiStrategy`'s clip loss.

    Args:
        anchors, positives: `[B, D]` projections of this replica's pairs.
        kernel: `[D, D]` bilinear weight (COLA's default), or None for
            cosine similarity divided by `temperature`.
        temperature: float > 0, used by the cosine similarity.
        all_anchors, all_positives: the global batch's projections gathered
            from every replica (`distribute.gather`), so the negatives are the
            global batch as in the paper; default: this batch.
        offset: index of this replica's first pair in the global batch.
        symmetric: bool. Average the row (anchor -> positives) and column
            (positive -> anchors) cross-entropies; False: rows only (COLA's).

    Returns:
        `(loss, diagnostics)`: diagnostics `contrastive_accuracy` (positive
        ranked first), `logits_entropy` (nats), each over the directions the
        loss uses, and `logits` (anchor rows).

    Example:
    >>> loss, diagnostics = cola_loss(g1, g2, kernel=similarity.kernel)
    """
    if kernel is None and not temperature > 0:
        raise ValueError(f"`temperature` must be positive. Received: temperature={temperature}")
    all_anchors = anchors if all_anchors is None else all_anchors
    all_positives = positives if all_positives is None else all_positives
    # Similarities in float32 under a mixed policy (the kernel is a float32 variable).
    anchors, positives, all_anchors, all_positives = to_float32(anchors, positives, all_anchors, all_positives)
    kernel = None if kernel is None else to_float32(kernel)
    labels = ops.arange(ops.shape(anchors)[0]) + offset
    rows = pair_similarity(anchors, all_positives, kernel, temperature)
    loss_rows, diag_rows = bilinear_loss(rows, return_diagnostics=True, labels=labels)
    if not symmetric:
        return loss_rows, {
            "contrastive_accuracy": diag_rows["accuracy"],
            "logits_entropy": diag_rows["entropy"],
            "logits": rows,
        }
    columns = ops.transpose(pair_similarity(all_anchors, positives, kernel, temperature))
    loss_cols, diag_cols = bilinear_loss(columns, return_diagnostics=True, labels=labels)
    return 0.5 * (loss_rows + loss_cols), {
        "contrastive_accuracy": 0.5 * (diag_rows["accuracy"] + diag_cols["accuracy"]),
        "logits_entropy": 0.5 * (diag_rows["entropy"] + diag_cols["entropy"]),
        "logits": rows,
    }
