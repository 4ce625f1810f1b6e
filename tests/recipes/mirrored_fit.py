"""Run in a subprocess: a recipe's fit() on 2 logical CPUs under MirroredStrategy, then resumed.

    python tests/recipes/mirrored_fit.py byola|cola OUTPUT_DIR [DTYPE_POLICY]

Logical devices must be configured before TensorFlow initialises them, so this
cannot run inside the pytest process. Prints a JSON summary.
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

from keras_audio_ssl import synthetic  # noqa: E402

recipe, output_dir = sys.argv[1], sys.argv[2]
dtype_policy = sys.argv[3] if len(sys.argv) > 3 else "float32"
fit = importlib.import_module(f"keras_audio_ssl.recipes.{recipe}").fit
clips = synthetic.make_unlabeled_corpus(16, seconds=1.0 if recipe == "byola" else 2.0, seed=0)
tiny = dict(encoder="AudioNTT2020", feature_d=32, batch_size=8, norm_stats_samples=16, verbose=0, jit_compile=False, dtype_policy=dtype_policy)
if recipe == "byola":
    tiny["memory_size"] = 16
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
model, first = fit(clips, output_dir=output_dir, epochs=1, strategy=strategy, **tiny)
mirrored = isinstance(model.encoder.trainable_weights[0], tf.distribute.DistributedValues) or "Mirrored" in type(
    model.encoder.trainable_weights[0].value).__name__
# A second call with more epochs continues the run under a new strategy object.
model, history = fit(clips, output_dir=output_dir, epochs=2, strategy=tf.distribute.MirroredStrategy(
    ["/cpu:0", "/cpu:1"]), **tiny)
with open(os.path.join(output_dir, "config.json")) as f:
    config = json.load(f)
print(json.dumps({
    "replicas": strategy.num_replicas_in_sync,
    "variables_mirrored": bool(mirrored),
    "losses": [float(v) for v in history.history["loss"]],
    "first_losses": [float(v) for v in first.history["loss"]],
    "finite": bool(np.all(np.isfinite(history.history["loss"]))),
    "config_strategy": config["strategy"],
    "epochs_finished": config["epochs_finished"],
    "status": config["status"],
    "dtype_policy": config["dtype_policy"],
    "encoder_compute_dtype": model.encoder.dtype_policy.compute_dtype,
    "loss_scaled": isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer),
}))
