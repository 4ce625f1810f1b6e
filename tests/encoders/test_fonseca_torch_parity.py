"""ResNet18 / CRNN / VGGLike vs the PyTorch layout of the paper's code, with converted weights.

Needs the `torch` extra; skipped without it. The modules below re-state the
architectures of uclser20 (`models/resnetAudio.py`, `models/audio_models.py`)
on torch's `[B, 1, T, F]` input, so the padding grid, the flatten order, the
GRU gate order and the last-step readout of the Keras ports are checked end to
end, on odd and even sizes.
"""

import keras
import numpy as np
import pytest

from keras_audio_ssl.encoders import CRNN
from keras_audio_ssl.encoders import ResNet18
from keras_audio_ssl.encoders import VGGLike

torch = pytest.importorskip("torch")
nn = torch.nn


def _conv_bn(c_in, c_out, k, stride=1):
    return [nn.Conv2d(c_in, c_out, k, stride=stride, padding=k // 2, bias=False), nn.BatchNorm2d(c_out)]


class _BasicBlock(nn.Module):
    def __init__(self, c_in, c_out, stride):
        super().__init__()
        self.conv1, self.bn1 = _conv_bn(c_in, c_out, 3, stride)
        self.conv2, self.bn2 = _conv_bn(c_out, c_out, 3)
        self.downsample = None
        if stride != 1 or c_in != c_out:
            self.downsample = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm2d(c_out))

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return torch.relu(y + (x if self.downsample is None else self.downsample(x)))


class _TorchResNet18(nn.Module):
    def __init__(self, d):
        super().__init__()
        w = [d // 8 * 2**i for i in range(4)]
        self.conv1, self.bn1 = _conv_bn(1, w[0], 7, 2)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        c_in = w[0]
        for i, (c, s) in enumerate(zip(w, (1, 2, 2, 2))):
            setattr(self, f"layer{i + 1}", nn.Sequential(_BasicBlock(c_in, c, s), _BasicBlock(c, c, 1)))
            c_in = c

    def forward(self, x):
        x = self.maxpool(torch.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return x.mean(dim=(2, 3))  # AdaptiveAvgPool2d((1, 1)) + flatten


class _TorchCRNN(nn.Module):
    def __init__(self, d, n_mels, c):
        super().__init__()
        pools = ((2, 5), (2, 4), (2, 2))  # (time, frequency)
        blocks = []
        for i, pool in enumerate(pools):
            blocks += [*_conv_bn(1 if i == 0 else c, c, 5), nn.ReLU(), nn.MaxPool2d(pool)]
        self.convs = nn.Sequential(*blocks)
        self.rnn1 = nn.GRU(c * (n_mels // 5 // 4 // 2), d, batch_first=True, bidirectional=True)
        self.d = d

    def forward(self, x):
        x = self.convs(x).permute(0, 2, 3, 1)
        x, _ = self.rnn1(x.reshape(x.shape[0], x.shape[1], -1))
        x = x.view(x.shape[0], x.shape[1], 2, self.d)
        return x[:, -1, 0] * x[:, -1, 1]


def _torch_vgg_convs():
    layers = []
    for i, (c_in, c_out, pool) in enumerate(
        [(1, 32, 0), (32, 32, 0), (32, 32, 1), (32, 64, 0), (64, 64, 1), (64, 128, 1)]
    ):
        layers += [*_conv_bn(c_in, c_out, 3), nn.ReLU()] + ([nn.MaxPool2d(2)] if pool else [])
    return nn.Sequential(*layers)


def _randomize_bn_statistics(module, seed):
    gen = torch.Generator().manual_seed(seed)
    for m in module.modules():
        if isinstance(m, nn.BatchNorm2d):
            with torch.no_grad():
                m.running_mean.copy_(0.1 * torch.randn(m.num_features, generator=gen))
                m.running_var.copy_(1.0 + 0.2 * torch.rand(m.num_features, generator=gen))
                m.weight.copy_(1.0 + 0.1 * torch.randn(m.num_features, generator=gen))
                m.bias.copy_(0.1 * torch.randn(m.num_features, generator=gen))


def _conv_kernel(weight):
    # torch [out, in, time, freq] on [B, C, T, F] -> Keras [freq, time, in, out] on [B, F, T, C].
    return weight.detach().numpy().transpose(3, 2, 1, 0)


def _bn_weights(bn):
    return [t.detach().numpy() for t in (bn.weight, bn.bias, bn.running_mean, bn.running_var)]


def _gru_weights(gru, suffix):
    # torch gates (r, z, n) -> Keras (z, r, h); Keras's bias is [input bias; recurrent bias].
    def reorder(t):
        r, z, n = np.split(t.detach().numpy(), 3, axis=0)
        return np.concatenate([z, r, n], axis=0)

    kernel = reorder(getattr(gru, f"weight_ih_l0{suffix}")).T
    recurrent = reorder(getattr(gru, f"weight_hh_l0{suffix}")).T
    bias = np.stack([reorder(getattr(gru, f"bias_ih_l0{suffix}")), reorder(getattr(gru, f"bias_hh_l0{suffix}"))])
    return [kernel, recurrent, bias]


def _keras_name(torch_name):
    # "layer2.0.downsample.0" -> "layer2_0_downsample_conv"
    name = torch_name.replace(".", "_")
    return name.replace("downsample_0", "downsample_conv").replace("downsample_1", "downsample_bn")


def _torch_out(module, x):
    module.eval()
    with torch.no_grad():
        return module(torch.from_numpy(x.transpose(0, 3, 2, 1).copy())).numpy()  # [B, F, T, 1] -> [B, 1, T, F]


@pytest.mark.parametrize("n_mels, frames", [(16, 37), (17, 40)])
def test_resnet18_matches_torch(n_mels, frames):
    torch.manual_seed(0)
    reference = _TorchResNet18(16)
    _randomize_bn_statistics(reference, 1)
    model = ResNet18(feature_d=16, n_mels=n_mels)
    converted = 0
    for name, module in reference.named_modules():
        if isinstance(module, nn.Conv2d):
            model.get_layer(_keras_name(name)).set_weights([_conv_kernel(module.weight)])
        elif isinstance(module, nn.BatchNorm2d):
            model.get_layer(_keras_name(name)).set_weights(_bn_weights(module))
        else:
            continue
        converted += 1
    assert converted == len([l for l in model.layers if l.weights])
    x = np.random.default_rng(2).standard_normal((2, n_mels, frames, 1)).astype("float32")
    got = keras.ops.convert_to_numpy(model(x, training=False))
    np.testing.assert_allclose(got, _torch_out(reference, x), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("n_mels, frames", [(40, 33), (96, 24)])
def test_crnn_matches_torch(n_mels, frames):
    torch.manual_seed(0)
    reference = _TorchCRNN(6, n_mels, 8)
    _randomize_bn_statistics(reference, 3)
    model = CRNN(feature_d=6, n_mels=n_mels, filters=8)
    convs = [m for m in reference.convs if isinstance(m, nn.Conv2d)]
    norms = [m for m in reference.convs if isinstance(m, nn.BatchNorm2d)]
    for i, (conv, bn) in enumerate(zip(convs, norms)):
        model.get_layer(f"conv{i + 1}_conv").set_weights([_conv_kernel(conv.weight)])
        model.get_layer(f"conv{i + 1}_bn").set_weights(_bn_weights(bn))
    model.get_layer("rnn1").set_weights(_gru_weights(reference.rnn1, "") + _gru_weights(reference.rnn1, "_reverse"))
    x = np.random.default_rng(4).standard_normal((2, n_mels, frames, 1)).astype("float32")
    got = keras.ops.convert_to_numpy(model(x, training=False))
    np.testing.assert_allclose(got, _torch_out(reference, x), rtol=1e-4, atol=1e-5)


def test_vgg_like_conv_stack_matches_torch_and_one_frame_is_twice_the_official_embedding():
    torch.manual_seed(0)
    convs = _torch_vgg_convs()
    _randomize_bn_statistics(convs, 5)
    dense = nn.Linear(256, 12)
    model = VGGLike(feature_d=12, n_mels=20)
    torch_convs = [m for m in convs if isinstance(m, nn.Conv2d)]
    torch_norms = [m for m in convs if isinstance(m, nn.BatchNorm2d)]
    for i, (conv, bn) in enumerate(zip(torch_convs, torch_norms)):
        model.get_layer(f"conv{i}_conv").set_weights([_conv_kernel(conv.weight)])
        model.get_layer(f"conv{i}_bn").set_weights(_bn_weights(bn))
    model.get_layer("dense1").set_weights([dense.weight.detach().numpy().T, dense.bias.detach().numpy()])

    x = np.random.default_rng(6).standard_normal((2, 20, 37, 1)).astype("float32")
    conv_out = keras.Model(model.input, model.get_layer("conv5_pool").output)(x, training=False)
    expected = _torch_out(convs, x).transpose(0, 3, 2, 1)  # [B, C, T, F] -> [B, F, T, C]
    np.testing.assert_allclose(keras.ops.convert_to_numpy(conv_out), expected, rtol=1e-4, atol=1e-5)

    # With one output frame (T < 16), the official gapgmp + Linear + ReLU is that frame;
    # the port's max + mean over time then doubles it.
    x = x[:, :, :12]
    features = torch.from_numpy(_torch_out(convs, x))
    pooled = torch.cat([features.amax(dim=(2, 3)), features.mean(dim=(2, 3))], dim=1)
    with torch.no_grad():
        official = torch.relu(dense(pooled)).numpy()
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model(x, training=False)), 2 * official, rtol=1e-4, atol=1e-5)
