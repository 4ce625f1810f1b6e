"""Converts the official BYOL-A PyTorch checkpoints into Keras encoders.

The official checkpoints (github.com/nttcslab/byol-a, e.g.
`AudioNTT2020-BYOLA-64x96d2048.pth`) are plain state dicts:

| torch key | shape | Keras layer |
|---|---|---|
| `features.{0,4,8}.weight/bias` | `[64, in, 3, 3]` | `block{1,2,3}_conv` (kernel transposed (2, 3, 1, 0)) |
| `features.{1,5,9}.weight/bias/running_mean/running_var` | `[64]` | `block{1,2,3}_bn` (gamma, beta, moving mean, moving variance) |
| `features.{1,5,9}.num_batches_tracked` | `[]` | (not used at inference) |
| `fc.0.weight/bias` | `[d, 64 * n_mels / 8]` | `fc1` (kernel transposed) |
| `fc.3.weight/bias` | `[d, d]` | `fc2` (kernel transposed) |

AudioNTT2022 (v2) has two conv blocks (`features.{0,4}` / `features.{1,5}`),
`fc.0` `[mlp_hidden_d, 64 * n_mels / 4]` and `fc.3` `[feature_d - conv_d, mlp_hidden_d]`.
`feature_d`, `n_mels` and `mlp_hidden_d` are inferred from the shapes. The
encoders flatten frames in torch's order (DESIGN.md), so the embeddings match.
"""

import os

import numpy as np

from keras_audio_ssl import atomic_write

TORCH_MISSING_MESSAGE = (
    "Converting PyTorch checkpoints needs torch, an optional extra. Install it with "
    "`pip install torch` (CPU build: `pip install torch --index-url "
    "https://download.pytorch.org/whl/cpu`) or `pip install keras-audio-ssl[torch]`."
)
_BN_SUFFIXES = ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")


def _expected_keys(conv_indices):
    keys = set()
    for i in conv_indices:
        keys |= {f"features.{i}.weight", f"features.{i}.bias"}
        keys |= {f"features.{i + 1}.{suffix}" for suffix in _BN_SUFFIXES}
    keys |= {"fc.0.weight", "fc.0.bias", "fc.3.weight", "fc.3.bias"}
    return keys


V1_KEYS = _expected_keys((0, 4, 8))
V2_KEYS = _expected_keys((0, 4))


def load_torch_state_dict(checkpoint_path):
    """Loads a checkpoint with `torch.load(weights_only=True)` as NumPy arrays."""
    try:
        import torch
    except ImportError as error:
        raise ImportError(TORCH_MISSING_MESSAGE) from error
    path = os.fspath(checkpoint_path)
    if not os.path.isfile(path):
        raise ValueError(f"Checkpoint file not found. Received: checkpoint_path={path}")
    state = torch.load(path, map_location="cpu", weights_only=True)
    # Training scripts sometimes wrap the weights; the official files do not.
    for wrapper in ("state_dict", "model"):
        if isinstance(state, dict) and isinstance(state.get(wrapper), dict):
            state = state[wrapper]
    if not isinstance(state, dict):
        raise ValueError(
            f"Expected a state dict (a mapping of names to tensors) in {path}. "
            f"Received: {type(state).__name__}"
        )
    if state and all(key.startswith("module.") for key in state):  # DataParallel
        state = {key[len("module.") :]: value for key, value in state.items()}
    return {key: value.detach().cpu().numpy() for key, value in state.items()}


def _check_keys(state, path):
    keys = set(state)
    candidates = {"AudioNTT2020": V1_KEYS, "AudioNTT2022": V2_KEYS}
    for name, expected in candidates.items():
        if keys == expected:
            return name
    # Report against the closer layout.
    name, expected = min(candidates.items(), key=lambda item: len(item[1] ^ keys))
    missing = sorted(expected - keys)
    unexpected = sorted(keys - expected)
    raise ValueError(
        f"Checkpoint {path} does not match the official {name} layout. "
        f"Missing keys: {missing}. Unexpected keys: {unexpected}. "
        f"Received: {len(keys)} keys"
    )


def _infer_encoder(state, kind, path):
    from keras_audio_ssl.encoders import AudioNTT2020
    from keras_audio_ssl.encoders import AudioNTT2022

    fc0 = state["fc.0.weight"]
    fc3 = state["fc.3.weight"]
    n_blocks = 3 if kind == "AudioNTT2020" else 2
    channels = state["features.0.weight"].shape[0]
    conv_d = fc0.shape[1]
    if conv_d % channels:
        raise ValueError(
            f"Checkpoint {path}: fc.0.weight's input size {conv_d} is not a multiple "
            f"of the conv channels {channels}. Received: fc.0.weight.shape={fc0.shape}"
        )
    n_mels = conv_d // channels * 2**n_blocks
    if kind == "AudioNTT2020":
        return AudioNTT2020(feature_d=int(fc0.shape[0]), n_mels=int(n_mels))
    return AudioNTT2022(
        feature_d=int(fc3.shape[0] + conv_d), n_mels=int(n_mels), mlp_hidden_d=int(fc0.shape[0])
    )


def _torch_to_keras(state, n_blocks):
    """{keras layer name: [weights in Keras order]}."""
    weights = {}
    for block in range(n_blocks):
        conv, bn = 4 * block, 4 * block + 1
        weights[f"block{block + 1}_conv"] = [
            state[f"features.{conv}.weight"].transpose(2, 3, 1, 0),
            state[f"features.{conv}.bias"],
        ]
        weights[f"block{block + 1}_bn"] = [
            state[f"features.{bn}.weight"],
            state[f"features.{bn}.bias"],
            state[f"features.{bn}.running_mean"],
            state[f"features.{bn}.running_var"],
        ]
    for torch_name, keras_name in (("fc.0", "fc1"), ("fc.3", "fc2")):
        weights[keras_name] = [state[f"{torch_name}.weight"].T, state[f"{torch_name}.bias"]]
    return weights


def convert_state_dict(state, *, source="state dict"):
    """Builds the matching Keras encoder from a NumPy state dict and loads it.

    Args:
        state: mapping of official key names to NumPy arrays.
        source: what to name in error messages (the checkpoint path).

    Returns:
        An `AudioNTT2020` or `AudioNTT2022` with the checkpoint's weights.
    """
    kind = _check_keys(state, source)
    encoder = _infer_encoder(state, kind, source)
    n_blocks = 3 if kind == "AudioNTT2020" else 2
    mismatched = []
    for layer_name, arrays in _torch_to_keras(state, n_blocks).items():
        layer = encoder.get_layer(layer_name)
        expected = [tuple(w.shape) for w in layer.get_weights()]
        got = [tuple(a.shape) for a in arrays]
        if expected != got:
            mismatched.append(f"{layer_name}: expected {expected}, got {got}")
            continue
        layer.set_weights([np.asarray(a, dtype=np.float32) for a in arrays])
    if mismatched:
        raise ValueError(
            f"Checkpoint {source} has shapes that do not fit {kind}: "
            + "; ".join(mismatched)
            + f". Received: {len(mismatched)} mismatched layers"
        )
    return encoder


def convert_byola_torch(checkpoint_path, output_path=None):
    """Converts an official BYOL-A `.pth` checkpoint into a Keras encoder.

    Args:
        checkpoint_path: the official PyTorch state dict (v1 AudioNTT2020 with
            d = 512 / 1024 / 2048, or v2 AudioNTT2022).
        output_path: optional `.keras` file to save the encoder to.

    Returns:
        The Keras encoder (log-mel `[B, n_mels, T, 1]` -> `[B, d]`). Wrap it with
        `build_embedding_model(encoder, mean=..., std=...)` using the
        normalisation statistics of the data the checkpoint was trained on.

    Example:
    ```python
    encoder = convert_byola_torch("AudioNTT2020-BYOLA-64x96d2048.pth", "byola_d2048.keras")
    ```
    """
    state = load_torch_state_dict(checkpoint_path)
    encoder = convert_state_dict(state, source=os.fspath(checkpoint_path))
    if output_path is not None:
        output_path = os.fspath(output_path)
        if not output_path.endswith(".keras"):
            raise ValueError(f"`output_path` must end in .keras. Received: output_path={output_path}")
        os.makedirs(os.path.dirname(os.path.abspath(output_path)), exist_ok=True)
        atomic_write.save_with(encoder.save, output_path)  # a kill or a full disk keeps the previous file
    return encoder
