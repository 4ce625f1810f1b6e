"""MixupBYOLA's bank under MirroredStrategy (2 logical CPUs, in a fresh process:
logical devices must be set before TensorFlow initializes)."""

import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import numpy as np, tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from keras_audio_ssl.augment import BYOLAAugmentation, MixupBYOLA, RandomResizeCrop

    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    with strategy.scope():
        aug = BYOLAAugmentation(mixup=MixupBYOLA(memory_size=8, seed=0), rrc=RandomResizeCrop(seed=1))
        aug.build((None, 8, 12, 1))

    @tf.function
    def step(x):
        def replica_fn(x):
            view = aug(x, training=True, update_memory=False)
            aug.mixup.update_memory(tf.distribute.get_replica_context().all_gather(x, axis=0))
            return view
        return strategy.run(replica_fn, args=(x,))

    batches = [np.random.default_rng(i).normal(size=(4, 8, 12, 1)).astype("float32") for i in range(3)]
    for batch in batches:
        step(next(iter(strategy.experimental_distribute_dataset(tf.data.Dataset.from_tensors(batch)))))
    # Every replica holds the same bank: the global batches in FIFO order.
    assert np.array_equal(aug.mixup.memory_contents(), np.concatenate(batches)[-8:])
    copies = aug.mixup.memory.value.values
    assert len(copies) == 2 and all(np.array_equal(np.asarray(copies[0]), np.asarray(c)) for c in copies)
    # Replicas draw different crops for identical samples (replica id folded into the seed).
    same = np.repeat(batches[0][:1], 4, axis=0)
    x = next(iter(strategy.experimental_distribute_dataset(tf.data.Dataset.from_tensors(same))))
    out = strategy.experimental_local_results(tf.function(lambda x: strategy.run(lambda v: aug.rrc(v, training=True), args=(x,)))(x))
    assert not np.allclose(np.asarray(out[0]), np.asarray(out[1]))
    print("OK")
    """
)


def test_memory_bank_under_mirrored_strategy():
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="")
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0 and "OK" in result.stdout, result.stderr[-3000:]
