"""The parts of a waveform -> embedding model, found in its graph.

The embedding model of `build_embedding_model` is a functional graph
`waveform -> LogMelSpectrogram -> PreNormalization -> encoder`. Evaluation (the
downstream normalisation, frame embeddings) and export (the SavedModel's
`frames` signature, the shortest input) take it apart the same way: here, once.
"""

import keras


def find_pre_normalization(model):
    """The model's top-level PreNormalization layer."""
    for layer in model.layers:
        if type(layer).__name__ == "PreNormalization" or layer.name.startswith("pre_normalization"):
            return layer
    raise ValueError(
        "Expected a model built by build_embedding_model (waveform -> LogMelSpectrogram -> "
        "PreNormalization -> encoder); no PreNormalization layer found. "
        f"Received: layers={[layer.name for layer in model.layers]}"
    )


def split_embedding_model(embedding_model):
    """Splits the model at its PreNormalization layer.

    Returns:
        `(front_end, encoder_part)`: waveform -> log-mel, and normalised log-mel ->
        embedding (everything after the PreNormalization layer).
    """
    norm = find_pre_normalization(embedding_model)
    front_end = keras.Model(embedding_model.inputs, norm.input, name="front_end")
    rest = keras.Model(norm.output, embedding_model.outputs, name="normalized_to_embedding")
    return front_end, rest


def find_front_end(model):
    """The model's log-mel layer: the layer that carries `hop_length` and `n_fft`."""
    for layer in _walk_layers(model):
        if hasattr(layer, "hop_length") and hasattr(layer, "n_fft"):
            return layer
    raise ValueError(
        "The model has no log-mel front end (a layer with `n_fft` and "
        "`hop_length`); export needs a waveform -> embedding model such as the "
        f"one `build_embedding_model` returns. Received: model={model.name}"
    )


def find_encoder(model):
    """The encoder: the last nested `keras.Model` among the embedding model's layers."""
    for layer in reversed(model.layers):
        if isinstance(layer, keras.Model):
            return layer
    raise ValueError(
        "Expected the embedding model to hold its encoder as a nested keras.Model "
        f"(as build_embedding_model does). Received: model={model.name}"
    )


# Layers that stride over time: 2-D ones on `[B, F, T, C]` (time = second spatial axis),
# 1-D ones on frames `[B, T, C]`.
_TIME_STRIDED_2D = (
    keras.layers.Conv2D,
    keras.layers.DepthwiseConv2D,
    keras.layers.SeparableConv2D,
    keras.layers.MaxPooling2D,
    keras.layers.AveragePooling2D,
)
_TIME_STRIDED_1D = (
    keras.layers.Conv1D,
    keras.layers.DepthwiseConv1D,
    keras.layers.SeparableConv1D,
    keras.layers.MaxPooling1D,
    keras.layers.AveragePooling1D,
)


def time_downsampling(encoder):
    """The encoder's time downsampling: product of the time strides of its convolutions and poolings.

    8 for AudioNTT2020 (three 2x2 pools), 32 for ResNet18 (strided convs and a
    strided max pool). In a functional encoder the strides are multiplied along
    the graph's paths from input to output and the largest product is taken, so
    a residual shortcut's strided 1x1 conv, parallel to a strided 3x3 conv, is
    not counted twice; an encoder without a functional graph multiplies the
    strides of all its layers.
    """
    outputs = _functional_outputs(encoder)
    if outputs is None:
        factor = 1
        for layer in _walk_layers(encoder):
            if not isinstance(layer, keras.Model):  # the walk visits its layers
                factor *= _own_time_stride(layer)
        return factor
    memo = {}
    return max(_path_time_stride(tensor, memo) for tensor in outputs)


def _functional_outputs(model):
    outputs = getattr(model, "outputs", None) if isinstance(model, keras.Model) else None
    if not outputs or not all(hasattr(t, "_keras_history") for t in outputs):
        return None
    return outputs


def _path_time_stride(tensor, memo):
    # Largest product of time strides on a path from the model's input to `tensor`.
    operation, node_index, _ = tensor._keras_history
    if operation is None:
        return 1
    node = operation._inbound_nodes[node_index]
    if id(node) not in memo:
        upstream = max((_path_time_stride(t, memo) for t in node.input_tensors), default=1)
        memo[id(node)] = upstream * _own_time_stride(operation)
    return memo[id(node)]


def _own_time_stride(layer):
    if isinstance(layer, keras.Model):  # a nested encoder part
        return time_downsampling(layer)
    if isinstance(layer, _TIME_STRIDED_2D):
        return int(layer.strides[1])
    if isinstance(layer, _TIME_STRIDED_1D):
        return int(layer.strides[0])
    return 1


def min_samples(model):
    """Fewest waveform samples the model can embed.

    Two limits: the centred STFT reflect-pads `n_fft // 2` samples on each side,
    which needs more samples than the pad; and after the encoder's time pooling at
    least one frame must remain, so the log-mel needs `downsampling` frames, i.e.
    `1 + N // hop >= downsampling`.
    """
    front_end = find_front_end(model)
    factor = time_downsampling(find_encoder(model))
    hop = int(front_end.hop_length)
    for_reflect_pad = int(front_end.n_fft) // 2 + 1
    for_pooling = (factor - 1) * hop
    return max(for_reflect_pad, for_pooling, int(getattr(front_end, "win_length", 0) or 0))


def build_frames_model(model):
    """Waveform -> frame embeddings `[B, T', d]` sharing the model's weights.

    Rebuilds the encoder from its config with `return_frames=True` (the
    AudioNTT encoders' switch) and copies the trained weights into it; the
    front end and normalisation are the model's own layers.
    """
    encoder = find_encoder(model)
    frames_encoder = frames_encoder_like(encoder)
    # The tensor feeding the encoder inside the embedding model's graph.
    encoder_input = _encoder_input_tensor(model, encoder)
    frames_encoder.build(encoder_input.shape)
    frames_encoder.set_weights(encoder.get_weights())
    return keras.Model(model.input, frames_encoder(encoder_input), name=f"{model.name}_frames")


def final_time_pooling(encoder):
    """The encoder's last layer if it pools frames `[B, T', d]` into a clip embedding `[B, d]`, else None."""
    layer = encoder.layers[-1] if getattr(encoder, "layers", None) else None
    try:
        if layer is not None and len(layer.input.shape) == 3 and len(layer.output.shape) == 2:
            return layer
    except (AttributeError, ValueError):  # not a functional graph
        pass
    return None


def shared_frames_model(encoder):
    """A model on the encoder's own layers (weights shared, trained together) giving its frames `[B, T', d]`.

    The frames are the input of the encoder's final time pooling; training
    them trains the clip encoder that is exported.
    """
    pooling = final_time_pooling(encoder)
    if pooling is None:
        raise ValueError(
            "The encoder does not end in a time pooling of frame features, so its frames cannot be trained. "
            f"Received: encoder={type(encoder).__name__}"
        )
    return keras.Model(encoder.inputs, pooling.input, name=f"{encoder.name}_shared_frames")


def frames_encoder_like(encoder):
    """An unbuilt copy of `encoder` with `return_frames=True` (copy the weights once built)."""
    config = encoder.get_config()
    if "return_frames" not in config:
        raise ValueError(
            "The encoder has no `return_frames` option, so it cannot give frame-level "
            f"embeddings. Received: encoder={type(encoder).__name__}"
        )
    return type(encoder).from_config(dict(config, return_frames=True))


def _encoder_input_tensor(model, encoder):
    # The encoder's call inside `model`'s own graph: another graph that called the same
    # encoder object later (an export, a probe model) added nodes that `model` does not own.
    owned = [node for i, node in enumerate(encoder._inbound_nodes) if f"{id(encoder)}_ib-{i}" in model._nodes]
    node = owned[0] if owned else encoder._inbound_nodes[-1]
    tensors = node.input_tensors
    return tensors[0] if isinstance(tensors, (list, tuple)) else tensors


def _walk_layers(model):
    for layer in model.layers:
        yield layer
        if isinstance(layer, keras.Model):
            yield from _walk_layers(layer)

