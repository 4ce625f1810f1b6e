"""FLOP counts for the benchmarks' "% of peak" figures, from the traced TensorFlow graph.

Any encoder gets a cost model: TensorFlow's graph profiler sums the FLOPs registered
for each op of a traced forward pass (convolutions and matmuls, and also the
elementwise ops, which add a few %), at a fixed input shape.

A BYOL step per clip is two views, each through the online network forward and
backward (about 3x its forward: the backward pass computes gradients for the inputs
and for the weights) and through the target network forward:

    step FLOP per clip = 2 x (3 x online forward + target forward)

For AudioNTT2020 this gives 1.38 GFLOP at d=512 and 2.39 at d=2048 (64 x 96 views),
within 3 % of the 1.35 / 2.36 the speed issue was filed with (which left out the
elementwise ops).
"""

import tensorflow as tf


def forward_flops(fn, input_shape):
    """FLOPs of one call of `fn` on a float32 tensor of `input_shape` (fixed batch)."""
    from tensorflow.python.profiler import model_analyzer
    from tensorflow.python.profiler import option_builder

    graph = tf.function(fn).get_concrete_function(tf.TensorSpec(input_shape, tf.float32)).graph
    options = option_builder.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    return int(model_analyzer.profile(graph, options=options).total_float_ops)


def byola_step_gflop_per_clip(model, n_mels=64, frames=96):
    """Training-step GFLOP per clip of a built `BYOLA` model on `[n_mels, frames]` views."""
    shape = (1, n_mels, frames, 1)
    online = forward_flops(lambda x: model.predictor(model.projector(model.encoder(x, training=False))), shape)
    target = forward_flops(lambda x: model.target_projector(model.target_encoder(x, training=False)), shape)
    return 2 * (3 * online + target) / 1e9


def embedding_gflop(embedding_model, num_samples):
    """GFLOP of one waveform -> embedding call on a `[1, num_samples]` clip (front end included)."""
    return forward_flops(lambda x: embedding_model(x, training=False), (1, num_samples)) / 1e9
