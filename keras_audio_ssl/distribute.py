"""What a train step needs to be right under `tf.distribute`, in one place.

Every method's `train_step` runs in replica context under MirroredStrategy,
MultiWorkerMirroredStrategy or TPUStrategy. The traps measured on this stack
(DESIGN.md): the loss must be divided by the replica count before the
gradient (the replicas' gradients are summed); memory banks are filled with
`all_gather` into variables with `aggregation="only_first_replica"`;
contrastive negatives and batch statistics should cover the global batch;
and under MultiWorkerMirroredStrategy scalar logs trip the cross-worker
reduction (tensorflow#72388), so logs are returned as rank-1 tensors there.
Outside a strategy (or with one replica) every function here is the identity.
"""

import tensorflow as tf
from keras import ops


def replica_context():
    """The replica context when more than one replica is in sync, else None."""
    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return None
    return context


def num_replicas():
    context = replica_context()
    return 1 if context is None else context.num_replicas_in_sync


def replica_id():
    """This replica's index in its sync group (0 outside a strategy), int32 tensor."""
    context = tf.distribute.get_replica_context()
    if context is None:
        return tf.constant(0, tf.int32)
    return tf.cast(context.replica_id_in_sync_group, tf.int32)


def scale_loss(loss):
    """`loss / num_replicas`: the summed replica gradients are then the global mean's."""
    context = replica_context()
    return loss if context is None else loss / context.num_replicas_in_sync


def gather(x, axis=0):
    """Concatenation of `x` over all replicas (replica order), `x` itself on one device.

    Under mixed precision a bfloat16 / float16 `x` is gathered as float32: the collective
    kernels take no bfloat16, and what is gathered (contrastive negatives, memory-bank
    entries) feeds float32 losses anyway.
    """
    context = replica_context()
    if context is None:
        return x
    if x.dtype in (tf.bfloat16, tf.float16):
        x = tf.cast(x, tf.float32)
    return context.all_gather(x, axis=axis)


def all_sum(values):
    """Sums a tensor or a list of tensors over the replicas."""
    context = replica_context()
    if context is None:
        return values
    return context.all_reduce(tf.distribute.ReduceOp.SUM, values)


def global_mean_std(x):
    """Scalar mean and unbiased std of every element of `x` over the global batch."""
    x = ops.cast(x, "float32")
    count = ops.cast(ops.size(x), "float32")
    total, total_sq, count = all_sum([ops.sum(x), ops.sum(ops.square(x)), count])
    mean = total / count
    variance = (total_sq - count * ops.square(mean)) / ops.maximum(count - 1.0, 1.0)
    return mean, ops.sqrt(ops.maximum(variance, 0.0))


def local_slice(global_batch):
    """This replica's rows of a gathered `[R * B, ...]` batch (the rows `gather` put there)."""
    context = replica_context()
    if context is None:
        return global_batch
    size = tf.shape(global_batch)[0] // context.num_replicas_in_sync
    return global_batch[replica_id() * size : (replica_id() + 1) * size]


def logs_for_strategy(logs):
    """Rank-1 logs under MultiWorkerMirroredStrategy (tensorflow#72388), unchanged elsewhere."""
    if isinstance(tf.distribute.get_strategy(), tf.distribute.MultiWorkerMirroredStrategy):
        return {k: ops.reshape(v, (1,)) for k, v in logs.items()}
    return logs
