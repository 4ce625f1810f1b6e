"""Run in a subprocess: one recipe's fit() as one process of a multi-process cluster, or its reference.

    python tests/recipes/multi_worker_fit.py RECIPE DATA OUTPUT_DIR EPOCHS            # TF_CONFIG set: a worker
    python tests/recipes/multi_worker_fit.py RECIPE DATA OUTPUT_DIR EPOCHS --reference # one process, 2 replicas

A worker trains under `strategy="multi_worker"` (MultiWorkerMirroredStrategy over the
cluster in TF_CONFIG, one CPU replica per process); the reference trains the same
global batch in one process under MirroredStrategy on 2 logical CPUs, so the two
must give the same weights. Environment: `KAS_TEST_STEPS` steps per epoch,
`KAS_TEST_LR` the learning rate, `KAS_TEST_SGD=1` plain SGD (no momentum) instead of the recipe's Adam,
`KAS_TEST_SLOW_STEP_SECONDS` a sleep after every step so a test can kill a worker
mid-epoch. Prints a JSON summary.
"""

import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402

recipe, data, output_dir, epochs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
reference = "--reference" in sys.argv[5:]
tf.config.threading.set_intra_op_parallelism_threads(1)  # two processes share two cores
tf.config.threading.set_inter_op_parallelism_threads(2)
if reference:
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
else:
    strategy = "multi_worker"  # fit() creates it before TensorFlow runs anything

import importlib  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402


class SlowSteps(keras.callbacks.Callback):
    def __init__(self, seconds):
        super().__init__()
        self.seconds = seconds

    def on_train_batch_end(self, batch, logs=None):
        time.sleep(self.seconds)


class Record(keras.callbacks.Callback):
    """The encoder's weights before training and the epochs this call trained."""

    initial_weights, epochs = None, []

    def on_train_begin(self, logs=None):
        Record.initial_weights = [np.asarray(w).tolist() for w in self.model.encoder.get_weights()]

    def on_epoch_begin(self, epoch, logs=None):
        Record.epochs.append(epoch)


fit = importlib.import_module(f"keras_audio_ssl.recipes.{recipe}").fit
tiny = dict(encoder="AudioNTT2020", feature_d=16, batch_size=8, norm_stats_samples=16, verbose=0, jit_compile=False,
            learning_rate=float(os.environ.get("KAS_TEST_LR", "1e-3")))
if recipe == "byola":
    tiny["memory_size"] = 16
if os.environ.get("KAS_TEST_SGD"):
    # Adam turns rounding noise into full-size steps where the true gradient is zero (the conv biases
    # before BatchNorm), and two processes sum in different memory layouts; plain SGD keeps a
    # rounding difference a rounding difference, so weights can be compared to 1e-5.
    tiny.update(optimizer="sgd", momentum=0.0)
if os.environ.get("KAS_TEST_STEPS"):
    tiny["steps_per_epoch"] = int(os.environ["KAS_TEST_STEPS"])
slow = float(os.environ.get("KAS_TEST_SLOW_STEP_SECONDS", "0"))
model, history = fit(data, output_dir=output_dir, epochs=epochs, strategy=strategy,
                     callbacks=[Record()] + ([SlowSteps(slow)] if slow else []), **tiny)
print(json.dumps({
    "replicas": int(model.distribute_strategy.num_replicas_in_sync),
    "losses": [float(v) for v in history.history["loss"]],
    "encoder": [np.asarray(w).tolist() for w in model.encoder.get_weights()],
    "initial_encoder": Record.initial_weights,
    "epochs_trained": Record.epochs,
}))
