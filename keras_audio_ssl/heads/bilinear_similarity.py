"""COLA's learned bilinear similarity."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_audio_ssl")
class BilinearSimilarity(keras.layers.Layer):
    """All-pairs bilinear similarity `s(a, p) = a^T W p` (Saeed et al., COLA, 2021).

    Called on `[anchors [B, D], positives [B, D]]`, returns logits `[B, B]`
    where entry (i, j) compares anchor i with candidate j; the diagonal holds
    the positive pairs, the rest of each row the in-batch negatives. COLA
    found bilinear better than cosine similarity.

    Example:
    >>> BilinearSimilarity()([np.ones((4, 8)), np.ones((4, 8))]).shape
    TensorShape([4, 4])
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)

    def build(self, input_shape):
        dim = input_shape[0][-1]
        self.kernel = self.add_weight(
            shape=(dim, dim), initializer="glorot_uniform", name="kernel"
        )

    def call(self, inputs):
        anchors, positives = inputs
        return ops.matmul(ops.matmul(anchors, self.kernel), ops.transpose(positives))

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0], input_shape[1][0])
