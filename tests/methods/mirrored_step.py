"""Run in a subprocess: one method step on 2 logical CPUs vs one device.

    python tests/methods/mirrored_step.py tests.methods.method_builders:byola [steps]

Logical devices must be configured before TensorFlow initialises them, so
this cannot run inside the pytest process. Prints a JSON summary.
"""

import importlib
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import keras  # noqa: E402
import numpy as np  # noqa: E402

module_name, function_name = sys.argv[1].split(":")
STEPS = int(sys.argv[2]) if len(sys.argv) > 2 else 2
builder = getattr(importlib.import_module(module_name), function_name)()
from tests.methods.method_builders import BATCH  # noqa: E402


def batches(data):
    return tf.data.Dataset.from_tensor_slices(data).batch(BATCH)


keras.utils.set_random_seed(0)
single = builder["make_model"]()
initial = [v.numpy() for v in single.weights]
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
with strategy.scope():
    mirrored = builder["make_model"]()
for v, value in zip(mirrored.weights, initial):
    v.assign(value)


def max_weight_diff():
    return max(
        float(np.max(np.abs(np.asarray(a.numpy(), "float64") - np.asarray(b.numpy(), "float64"))))
        for a, b in zip(single.weights, mirrored.weights)
    )


data = builder["data"](STEPS)
# Step 1: same weights, same global batch, split across two replicas.
h_single = single.fit(batches(data).take(1), epochs=1, verbose=0).history
h_mirrored = mirrored.fit(batches(data).take(1), epochs=1, verbose=0).history
diff_step1 = max_weight_diff()
moved = max(float(np.max(np.abs(a - np.asarray(v.numpy())))) for a, v in zip(initial, single.weights))
if STEPS > 1:
    mirrored.fit(batches(data).skip(1), epochs=1, verbose=0)
summary = {
    "replicas": strategy.num_replicas_in_sync,
    "max_weight_diff_step1": diff_step1,
    "loss_single": h_single["loss"][-1],
    "loss_mirrored": h_mirrored["loss"][-1],
    "moved": moved,
}
if "extras" in builder:
    summary.update(builder["extras"](single, mirrored, data))
print(json.dumps(summary))
