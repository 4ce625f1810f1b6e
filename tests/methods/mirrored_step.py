"""Run in a subprocess: one BYOL-A step on 2 logical CPUs vs one device.

Logical devices must be configured before TensorFlow initialises them, so
this cannot run inside the pytest process. Prints a JSON summary.
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(
    cpu, [tf.config.LogicalDeviceConfiguration()] * 2
)

import keras  # noqa: E402
import numpy as np  # noqa: E402

from keras_audio_ssl.encoders import AudioNTT2020  # noqa: E402
from keras_audio_ssl.methods import BYOLA  # noqa: E402

STEPS = int(sys.argv[1]) if len(sys.argv) > 1 else 2
BATCH, SAMPLES = 8, 2400


def make_model():
    # Deterministic views (no mixing weight, full-size crop) and no dropout,
    # so the only difference between the runs is how the batch is split.
    encoder = AudioNTT2020(feature_d=32, synchronized_batch_norm=True, dropout=0.0)
    model = BYOLA(
        encoder,
        projection_dim=8,
        hidden_dim=32,
        mixup_ratio=0.0,
        memory_size=32,
        virtual_crop_scale=(1.0, 1.0),
        freq_scale=(1.0, 1.0),
        time_scale=(1.0, 1.0),
        pre_norm_mean=-3.0,
        pre_norm_std=2.0,
        synchronized_batch_norm=True,
        seed=3,
    )
    # SGD, not Adam: Adam's first step is lr * sign(g), which turns float
    # rounding noise in the (mathematically zero) gradients of biases before
    # BatchNorm into full-size updates.
    model.compile(optimizer=keras.optimizers.SGD(0.05))
    model.build((None, SAMPLES))
    return model


def dataset():
    rng = np.random.default_rng(0)
    data = (0.1 * rng.standard_normal((STEPS * BATCH, SAMPLES))).astype("float32")
    return tf.data.Dataset.from_tensor_slices(data).batch(BATCH)


keras.utils.set_random_seed(0)
single = make_model()
initial = [v.numpy() for v in single.weights]
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
with strategy.scope():
    mirrored = make_model()
for v, value in zip(mirrored.weights, initial):
    v.assign(value)



def max_weight_diff():
    diffs = [
        float(np.max(np.abs(np.asarray(a.numpy(), "float64") - np.asarray(b.numpy(), "float64"))))
        for a, b in zip(single.weights, mirrored.weights)
    ]
    return max(diffs)


# Step 1: same weights, same global batch, split across two replicas.
h_single = single.fit(dataset().take(1), epochs=1, verbose=0).history
h_mirrored = mirrored.fit(dataset().take(1), epochs=1, verbose=0).history
diff_step1 = max_weight_diff()
fc1_moved = float(np.max(np.abs(initial[[v.path for v in single.weights].index("fc1/kernel")] - single.get_layer("audio_ntt2020").get_layer("fc1").kernel.numpy())))
# Step 2 fills the bank further: it must hold every sample of both replicas, in order.
mirrored.fit(dataset().skip(1), epochs=1, verbose=0)
front = lambda x: single.pre_norm(single.front_end(x)).numpy()  # noqa: E731
everything = np.stack(list(dataset().unbatch().as_numpy_iterator()))
expected_bank = front(everything)[-32:]
bank = mirrored.mixup.memory_contents()
print(
    json.dumps(
        {
            "replicas": strategy.num_replicas_in_sync,
            "max_weight_diff_step1": diff_step1,
            "loss_single": h_single["loss"][-1],
            "loss_mirrored": h_mirrored["loss"][-1],
            "fc1_moved": fc1_moved,
            "bank_count": int(bank.shape[0]),
            "bank_max_diff": float(np.max(np.abs(bank - expected_bank))),
        }
    )
)
