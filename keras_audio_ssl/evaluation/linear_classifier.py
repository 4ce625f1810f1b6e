"""The probe head on frozen embeddings: one (dropout +) Dense layer, trained by a compiled step.

Shared by the probes: the BYOL-A linear probe (`linear_probe`: no dropout, early
stopping), HARES's AudioSet MLP (`mlp_probe`: the same with one hidden ReLU layer,
`hidden_units`; Wang et al., 2022) and the multiple-sampling-strategies paper's
downstream classifier (Kuroyanagi & Komatsu, Sec. 4.1: "a fully connected layer using the pre-computed
embedding vectors as input", 250 epochs, Adam 1e-4, batch 1024, dropout 0.1, no early
stopping), used per frame with a sigmoid per class (`sed_probe`) and per clip with a
softmax over 88 pitches (`pitch_probe`).

Keras `fit` costs ~0.3 s per epoch in callbacks and data adapters, far more than the
probe itself, so the step is a `tf.function` and a classifier is reused across runs:
only the weights are re-drawn.
"""

import keras
import numpy as np
import scipy.special
import tensorflow as tf

PAPER_EPOCHS = 250
PAPER_BATCH_SIZE = 1024
PAPER_LEARNING_RATE = 1e-4
PAPER_DROPOUT = 0.1


def check_probe_settings(epochs, batch_size, learning_rate, dropout):
    for name, value in (("epochs", epochs), ("batch_size", batch_size)):
        if int(value) != value or value < 1:
            raise ValueError(f"`{name}` must be a positive integer. Received: {name}={value!r}")
    if not learning_rate > 0:
        raise ValueError(f"`learning_rate` must be > 0. Received: learning_rate={learning_rate}")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"`dropout` must be in [0, 1). Received: dropout={dropout}")


class LinearClassifier:
    """[Dropout ->] Dense with Adam; with `hidden_units`, [Dropout ->] Dense + ReLU -> Dense (an MLP).

    Args:
        input_dim: embedding width.
        n_classes: outputs.
        multi_label: sigmoid per class with binary cross-entropy (targets `[N, C]`
            multi-hot), else softmax cross-entropy (targets `[N]` class indices).
        learning_rate: Adam's.
        dropout: on the input, while training (0: none).
        hidden_units: None (the linear layer) or the width of one hidden ReLU
            layer (HARES's AudioSet protocol).
    """

    def __init__(self, input_dim, n_classes, *, multi_label, learning_rate, dropout=0.0, hidden_units=None):
        if hidden_units is not None and (int(hidden_units) != hidden_units or hidden_units < 1):
            raise ValueError(f"`hidden_units` must be None or a positive integer. Received: hidden_units={hidden_units!r}")
        self.multi_label = bool(multi_label)
        self.hidden_units = None if hidden_units is None else int(hidden_units)
        self.dropout = keras.layers.Dropout(dropout) if dropout > 0 else None
        self.hidden = None
        width = input_dim
        if self.hidden_units is not None:
            self.hidden = keras.layers.Dense(self.hidden_units, activation="relu")
            self.hidden.build((None, input_dim))
            width = self.hidden_units
        self.layer = keras.layers.Dense(n_classes)  # the output layer
        self.layer.build((None, width))
        self.dense_layers = [layer for layer in (self.hidden, self.layer) if layer is not None]
        self.trainable_variables = [v for layer in self.dense_layers for v in layer.trainable_variables]
        self.optimizer = keras.optimizers.Adam(learning_rate)
        self.optimizer.build(self.trainable_variables)
        spec_x = tf.TensorSpec([None, input_dim], tf.float32)
        spec_y = tf.TensorSpec([None, n_classes] if multi_label else [None], tf.float32 if multi_label else tf.int64)
        self.train_step = tf.function(self._train_step, input_signature=[spec_x, spec_y])
        self.logits = tf.function(self.forward, input_signature=[spec_x])

    def forward(self, x, training=False):
        if training and self.dropout is not None:
            x = self.dropout(x, training=True)
        if self.hidden is not None:
            x = self.hidden(x)
        return self.layer(x)

    def loss(self, y, logits):
        if self.multi_label:
            return keras.ops.mean(keras.losses.binary_crossentropy(y[..., None], logits[..., None], from_logits=True))
        return keras.ops.mean(keras.losses.sparse_categorical_crossentropy(y, logits, from_logits=True))

    def _train_step(self, x, y):
        with tf.GradientTape() as tape:
            loss = self.loss(y, self.forward(x, training=True))
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply(grads, self.trainable_variables)
        return loss

    def reset(self, seed, initial_bias=None):
        """Fresh weights (Glorot; zero biases, the output's unless given), Adam state (and dropout seed) for run `seed`."""
        if self.hidden is not None:
            # Its own stream: the output layer draws exactly what the linear probe draws.
            self.hidden.kernel.assign(keras.initializers.GlorotUniform(seed=seed + 100_003)(self.hidden.kernel.shape))
            self.hidden.bias.assign(np.zeros(self.hidden.bias.shape, np.float32))
        kernel, bias = self.layer.kernel, self.layer.bias
        kernel.assign(keras.initializers.GlorotUniform(seed=seed)(kernel.shape))
        bias.assign(np.zeros(bias.shape, np.float32) if initial_bias is None
                    else np.asarray(initial_bias, np.float32).reshape(bias.shape))
        # The learning rate is an optimizer variable too; everything else restarts.
        for variable in self.optimizer.variables:
            if variable.name != "learning_rate":
                variable.assign(np.zeros(variable.shape, variable.dtype))
        if self.dropout is not None:
            tf.random.set_seed(seed)

    @property
    def weights(self):
        """Every Dense layer's weights (what early stopping saves and restores)."""
        return [w for layer in self.dense_layers for w in layer.weights]

    def fit(self, x, y, *, epochs=PAPER_EPOCHS, batch_size=PAPER_BATCH_SIZE, seed=0, initial_bias=None):
        """Trains from fresh weights for exactly `epochs`; returns the mean loss of the last epoch."""
        self.reset(seed, initial_bias)
        x = np.asarray(x, np.float32)
        y = np.asarray(y, np.float32 if self.multi_label else np.int64)
        rng = np.random.default_rng(seed)
        last = []
        for _ in range(int(epochs)):
            order = rng.permutation(len(x))
            last = [float(self.train_step(x[order[i : i + batch_size]], y[order[i : i + batch_size]]))
                    for i in range(0, len(order), batch_size)]
        return float(np.mean(last)) if last else float("nan")

    def predict_logits(self, x, batch_size=8192):
        x = np.asarray(x, np.float32)
        return np.concatenate([self.logits(x[i : i + batch_size]).numpy() for i in range(0, len(x), batch_size)])

    def predict(self, x, batch_size=8192):
        """Probabilities `[N, C]` (sigmoid or softmax)."""
        logits = self.predict_logits(x, batch_size)
        return scipy.special.expit(logits) if self.multi_label else scipy.special.softmax(logits, axis=1)
