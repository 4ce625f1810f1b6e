"""Official BYOL-A PyTorch checkpoint -> Keras encoder, checked against torch."""

import numpy as np
import pytest

from keras_audio_ssl.export.torch_weights import convert_byola_torch

torch = pytest.importorskip("torch", reason="torch is an optional extra (pip install torch)")
nn = torch.nn


class OfficialAudioNTT2020(nn.Module):
    """The official v1 layout and key names (DESIGN.md), written from its description."""

    def __init__(self, n_mels=64, d=512):
        super().__init__()
        layers = []
        for in_channels in (1, 64, 64):
            layers += [nn.Conv2d(in_channels, 64, 3, stride=1, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2, stride=2)]
        self.features = nn.Sequential(*layers)
        self.fc = nn.Sequential(nn.Linear(64 * (n_mels // 8), d), nn.ReLU(), nn.Dropout(0.3), nn.Linear(d, d), nn.ReLU())

    def forward(self, x):  # x: [B, 1, F, T]
        x = self.features(x)  # [B, C, F', T']
        x = x.permute(0, 3, 2, 1)  # [B, T', F', C]
        batch, frames, freq, channels = x.shape
        x = x.reshape(batch, frames, freq * channels)
        x = self.fc(x)
        return x.max(dim=1).values + x.mean(dim=1)


class OfficialAudioNTT2022(nn.Module):
    """v2 layout: two conv blocks, MLP, output = concat(conv frames, MLP frames)."""

    def __init__(self, n_mels=64, d=3072, mlp_hidden_d=2048):
        super().__init__()
        layers = []
        for in_channels in (1, 64):
            layers += [nn.Conv2d(in_channels, 64, 3, stride=1, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2, stride=2)]
        self.features = nn.Sequential(*layers)
        conv_d = 64 * (n_mels // 4)
        self.fc = nn.Sequential(nn.Linear(conv_d, mlp_hidden_d), nn.ReLU(), nn.Dropout(0.3), nn.Linear(mlp_hidden_d, d - conv_d), nn.ReLU())

    def forward(self, x):
        x = self.features(x).permute(0, 3, 2, 1)
        batch, frames, freq, channels = x.shape
        x = x.reshape(batch, frames, freq * channels)
        x = torch.cat([x, self.fc(x)], dim=-1)
        return x.max(dim=1).values + x.mean(dim=1)


def _randomise_batch_norm(module, generator):
    # Non-trivial running statistics: a converter that drops them must fail.
    for layer in module.modules():
        if isinstance(layer, nn.BatchNorm2d):
            n = layer.num_features
            layer.weight.data = 1 + 0.3 * torch.randn(n, generator=generator)
            layer.bias.data = 0.2 * torch.randn(n, generator=generator)
            layer.running_mean.data = 0.5 * torch.randn(n, generator=generator)
            layer.running_var.data = 0.5 + torch.rand(n, generator=generator)
            layer.num_batches_tracked.fill_(1000)


def _save_official(module, path, seed=0):
    generator = torch.Generator().manual_seed(seed)
    _randomise_batch_norm(module, generator)
    module.eval()
    torch.save(module.state_dict(), path)
    return module


def _compare(module, encoder, n_mels, frames, rng):
    x = rng.standard_normal((3, n_mels, frames, 1)).astype(np.float32)
    with torch.no_grad():
        expected = module(torch.from_numpy(x.transpose(0, 3, 1, 2).copy())).numpy()
    got = np.asarray(encoder(x, training=False))
    assert got.shape == expected.shape
    return float(np.max(np.abs(got - expected)))


@pytest.mark.parametrize("d", [512, 1024])
def test_v1_checkpoint_gives_the_same_embedding(tmp_path, rng, d):
    module = _save_official(OfficialAudioNTT2020(d=d), tmp_path / "byola.pth")
    output = tmp_path / "encoder.keras"
    encoder = convert_byola_torch(tmp_path / "byola.pth", output)
    assert encoder.feature_d == d and encoder.n_mels == 64
    assert _compare(module, encoder, 64, 96, rng) <= 1e-4

    import keras

    import keras_audio_ssl.encoders  # noqa: F401  (registers the classes)

    reloaded = keras.saving.load_model(output)
    assert _compare(module, reloaded, 64, 96, rng) <= 1e-4


def test_a_full_disk_keeps_the_previous_converted_file(tmp_path):
    import os

    from keras_audio_ssl.atomic_write import NoSpaceLeftError
    from tests.small_disk import fill
    from tests.small_disk import small_disk

    _save_official(OfficialAudioNTT2020(n_mels=32, d=64), tmp_path / "byola.pth")
    with small_disk(tmp_path / "disk", megabytes=8) as disk:
        output = os.path.join(disk, "encoder.keras")
        convert_byola_torch(tmp_path / "byola.pth", output)
        good = open(output, "rb").read()
        fill(disk, leave_bytes=16 << 10)
        with pytest.raises(NoSpaceLeftError, match="no space left"):
            convert_byola_torch(tmp_path / "byola.pth", output)
        assert open(output, "rb").read() == good
        assert sorted(os.listdir(disk)) == ["encoder.keras", "filler.bin"]


def test_a_save_interrupted_halfway_keeps_the_previous_converted_file(tmp_path, monkeypatch):
    import os

    import keras

    _save_official(OfficialAudioNTT2020(n_mels=32, d=64), tmp_path / "byola.pth")
    output = tmp_path / "encoder.keras"
    convert_byola_torch(tmp_path / "byola.pth", output)
    good = output.read_bytes()

    def interrupted_save(self, filepath, *args, **kwargs):
        with open(filepath, "wb") as f:
            f.write(good[: len(good) // 2])
        raise KeyboardInterrupt  # a Ctrl-C or a kill halfway through Keras's zip

    monkeypatch.setattr(keras.Model, "save", interrupted_save)
    with pytest.raises(KeyboardInterrupt):
        convert_byola_torch(tmp_path / "byola.pth", output)
    assert output.read_bytes() == good
    assert sorted(os.listdir(tmp_path)) == ["byola.pth", "encoder.keras"]  # and no temporary


def test_v1_infers_n_mels_and_handles_odd_lengths(tmp_path, rng):
    module = _save_official(OfficialAudioNTT2020(n_mels=32, d=256), tmp_path / "byola.pth", seed=3)
    encoder = convert_byola_torch(tmp_path / "byola.pth")
    assert encoder.n_mels == 32 and encoder.feature_d == 256
    # 101 frames: both frameworks floor the pooling to 12 frames.
    assert _compare(module, encoder, 32, 101, rng) <= 1e-4


def test_v2_checkpoint_gives_the_same_embedding(tmp_path, rng):
    module = _save_official(OfficialAudioNTT2022(d=1536, mlp_hidden_d=256), tmp_path / "v2.pth")
    encoder = convert_byola_torch(tmp_path / "v2.pth")
    assert encoder.feature_d == 1536 and encoder.mlp_hidden_d == 256
    assert _compare(module, encoder, 64, 96, rng) <= 1e-4


def test_wrong_keys_are_listed(tmp_path):
    state = OfficialAudioNTT2020(d=64).state_dict()
    state.pop("fc.3.bias")
    state["head.weight"] = torch.zeros(3)
    torch.save(state, tmp_path / "bad.pth")
    with pytest.raises(ValueError, match=r"Missing keys: \['fc.3.bias'\].*Unexpected keys: \['head.weight'\]"):
        convert_byola_torch(tmp_path / "bad.pth")


def test_wrong_shapes_are_listed(tmp_path):
    state = OfficialAudioNTT2020(d=64).state_dict()
    state["fc.3.weight"] = torch.zeros(64, 32)
    torch.save(state, tmp_path / "bad.pth")
    with pytest.raises(ValueError, match=r"fc2: expected \[\(64, 64\), \(64,\)\], got \[\(32, 64\), \(64,\)\]"):
        convert_byola_torch(tmp_path / "bad.pth")


def test_missing_file_is_named(tmp_path):
    with pytest.raises(ValueError, match="nope.pth"):
        convert_byola_torch(tmp_path / "nope.pth")


def test_tool_end_to_end(tmp_path, rng, capsys):
    import keras

    from tests.test_case import exit_code
    from tools.convert_byola_torch import main

    module = _save_official(OfficialAudioNTT2020(d=128), tmp_path / "byola.pth", seed=5)
    capsys.readouterr()
    assert exit_code(main, ["--checkpoint", str(tmp_path / "byola.pth"), "--output", str(tmp_path / "enc.keras")]) == 0
    assert "feature_d=128" in capsys.readouterr().out
    assert _compare(module, keras.saving.load_model(tmp_path / "enc.keras"), 64, 96, rng) <= 1e-4


def test_tool_writes_a_preset_with_the_official_embeddings(tmp_path, rng, capsys):
    from keras_audio_ssl.audio import LogMelSpectrogram
    from keras_audio_ssl.encoders import from_preset
    from tests.test_case import exit_code
    from tools.convert_byola_torch import main

    module = _save_official(OfficialAudioNTT2020(d=64), tmp_path / "byola.pth", seed=6)
    tool = ["--checkpoint", str(tmp_path / "byola.pth"), "--preset-dir", str(tmp_path / "preset")]
    capsys.readouterr()
    assert exit_code(main, tool) == 2 and "needs --mean and --std" in capsys.readouterr().err
    assert exit_code(main, tool + ["--mean", "-6.0", "--std", "4.0"]) == 0
    model = from_preset(str(tmp_path / "preset"))
    waveform = (0.1 * rng.standard_normal((2, 16000))).astype(np.float32)
    log_mel = (np.asarray(LogMelSpectrogram()(waveform)) + 6.0) / 4.0
    with torch.no_grad():
        expected = module(torch.from_numpy(log_mel.transpose(0, 3, 1, 2).copy())).numpy()
    np.testing.assert_allclose(np.asarray(model(waveform)), expected, atol=1e-4)


def test_tool_on_a_full_disk_says_so_in_one_line_and_keeps_the_previous_preset(tmp_path, capsys):
    import os

    from tests.small_disk import fill
    from tests.small_disk import small_disk
    from tests.test_case import exit_code
    from tools.convert_byola_torch import main

    _save_official(OfficialAudioNTT2020(n_mels=32, d=64), tmp_path / "byola.pth")
    with small_disk(tmp_path / "disk", megabytes=8) as disk:
        preset = os.path.join(disk, "preset")
        tool = ["--checkpoint", str(tmp_path / "byola.pth"), "--preset-dir", preset, "--mean", "-6", "--std", "4"]
        assert exit_code(main, tool) == 0
        before = {name: open(os.path.join(preset, name), "rb").read() for name in os.listdir(preset)}
        fill(disk, leave_bytes=16 << 10)
        capsys.readouterr()
        assert exit_code(main, tool) == 1
        lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: ") and "no space left" in lines[0], lines
        assert preset in lines[0]
        assert {name: open(os.path.join(preset, name), "rb").read() for name in os.listdir(preset)} == before
