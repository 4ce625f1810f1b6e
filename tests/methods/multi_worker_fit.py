"""Run in a subprocess: BYOL-A `fit` under a single-worker MultiWorkerMirroredStrategy.

A collective strategy in the pytest process would outlive the test, so it
runs on its own. Prints the per-epoch losses as JSON.
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from tests.methods.test_byola import _model  # noqa: E402
from tests.methods.test_byola import _waveforms  # noqa: E402

strategy = tf.distribute.MultiWorkerMirroredStrategy()
with strategy.scope():
    model = _model()
data = tf.data.Dataset.from_tensor_slices(_waveforms(16)).batch(8)
history = model.fit(data, epochs=2, verbose=0).history
print(json.dumps({"loss": np.asarray(history["loss"], "float64").ravel().tolist()}))
