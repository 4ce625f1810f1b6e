"""The optimizer settings (`optimizer`, `momentum`, `weight_decay`, `learning_rate_drops`): validated,
built into the run's optimizer, scheduled per epoch, and part of what a resume must keep."""

import keras
import numpy as np
import pytest

from keras_audio_ssl import synthetic
from keras_audio_ssl.recipes import byola
from keras_audio_ssl.recipes.settings import TrainingSettings

TINY = dict(feature_d=16, batch_size=8, memory_size=16, norm_stats_samples=16, verbose=0, jit_compile=False)


@pytest.mark.parametrize("kwargs, match", [
    (dict(optimizer="rmsprop"), "optimizer='rmsprop'"), (dict(momentum=1.0), "momentum=1.0"),
    (dict(momentum=-0.1), "momentum=-0.1"), (dict(weight_decay=-1e-4), "weight_decay=-0.0001"),
    (dict(learning_rate_drops=[0.85, 0.65]), r"learning_rate_drops=\[0.85, 0.65\]"),
    (dict(learning_rate_drops=[1.5]), r"learning_rate_drops=\[1.5\]"), (dict(learning_rate_drops=0.5), "=0.5"),
])
def test_bad_optimizer_settings_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TrainingSettings(output_dir="runs/x", **kwargs)


def test_drops_divide_the_rate_by_ten_at_their_fraction_of_the_epochs():
    settings = TrainingSettings(output_dir="runs/x", epochs=500, learning_rate=0.03, learning_rate_drops=[0.65, 0.85])
    rates = [settings.learning_rate_at(epoch) for epoch in (0, 324, 325, 424, 425, 499)]
    np.testing.assert_allclose(rates, [0.03, 0.03, 0.003, 0.003, 0.0003, 0.0003])
    assert TrainingSettings(output_dir="runs/x").learning_rate_at(99) == 3e-4  # no drops: constant


def test_the_optimizer_built_is_the_one_named():
    sgd = TrainingSettings(output_dir="runs/x", optimizer="sgd", learning_rate=0.03, weight_decay=1e-3).build_optimizer()
    assert isinstance(sgd, keras.optimizers.SGD) and sgd.momentum == 0.9 and sgd.weight_decay == 1e-3
    adam = TrainingSettings(output_dir="runs/x").build_optimizer()
    assert isinstance(adam, keras.optimizers.Adam) and adam.weight_decay is None


class _RatePerEpoch(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.rates, self.optimizers = [], []

    def on_epoch_end(self, epoch, logs=None):
        self.rates.append(float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)))
        self.optimizers.append(type(self.model.optimizer).__name__)


def test_an_sgd_run_follows_its_schedule_resumes_on_it_and_refuses_another_optimizer(tmp_path):
    clips = synthetic.make_unlabeled_corpus(16, seconds=0.95, seed=4)
    run = str(tmp_path / "run")
    sgd = dict(optimizer="sgd", learning_rate=0.05, momentum=0.9, learning_rate_drops=[0.5])
    seen = _RatePerEpoch()
    _, history = byola.fit(clips, output_dir=run, epochs=2, callbacks=[seen], **TINY, **sgd)
    assert seen.optimizers == ["SGD", "SGD"] and np.isfinite(history.history["loss"]).all()
    np.testing.assert_allclose(seen.rates, [0.05, 0.005], rtol=1e-6)
    resumed = _RatePerEpoch()
    byola.fit(clips, output_dir=run, epochs=4, callbacks=[resumed], **TINY, **sgd)
    np.testing.assert_allclose(resumed.rates, [0.005, 0.005], rtol=1e-6)  # epochs 2, 3 of 4: past the drop at 2
    with pytest.raises(ValueError, match="optimizer: 'sgd' -> 'adam'"):
        byola.fit(clips, output_dir=run, epochs=5, **TINY)


def test_the_command_line_takes_the_authors_optimizer():
    from keras_audio_ssl.recipes import cli
    from keras_audio_ssl.recipes import simclr

    _, _, config = cli.parse_args(simclr.fit, ["--data", "audio/", "--optimizer", "sgd", "--learning-rate", "0.03",
                                               "--weight-decay", "1e-3", "--learning-rate-drops", "0.65,0.85"])
    assert (config["optimizer"], config["learning_rate"], config["weight_decay"]) == ("sgd", 0.03, 1e-3)
    assert list(config["learning_rate_drops"]) == [0.65, 0.85] and config["momentum"] == 0.9
    _, _, config = cli.parse_args(simclr.fit, ["--data", "audio/", "--learning-rate-drops", "[0.5]"])
    assert list(config["learning_rate_drops"]) == [0.5]
