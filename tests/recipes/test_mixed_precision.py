"""Every recipe under the mixed policies: what computes in low precision, what stays float32, what a run writes."""

import json

import keras
import numpy as np
import pytest

from keras_audio_ssl import precision
from keras_audio_ssl import synthetic
from keras_audio_ssl.recipes import byola
from keras_audio_ssl.recipes import cli
from keras_audio_ssl.recipes import cola
from keras_audio_ssl.recipes import multi_strategy
from keras_audio_ssl.recipes import simclr

LOW = {"mixed_bfloat16": "bfloat16", "mixed_float16": "float16"}
# Each recipe's tiny settings and clip length, as in tests/recipes/test_<method>.py.
RECIPES = {
    "byola": (byola, dict(feature_d=16, memory_size=16), 0.95),
    "cola": (cola, dict(encoder="AudioNTT2020", feature_d=16, augmentation="byola", memory_size=16), 2.0),
    "simclr": (simclr, dict(encoder="AudioNTT2020", feature_d=16, projection_dim=8, segment_samples=24000), 2.0),
    "multi_strategy": (multi_strategy, dict(encoder="AudioNTT2020", feature_d=16, projection_dim=8), 1.5),
}
COMMON = dict(batch_size=8, norm_stats_samples=16, verbose=0, jit_compile=False, epochs=1, steps_per_epoch=2)


def _float32_part_types():
    from keras_audio_ssl.audio import LogMelSpectrogram
    from keras_audio_ssl.augment import BYOLAAugmentation
    from keras_audio_ssl.augment import PostNormalization
    from keras_audio_ssl.augment import PreNormalization
    from keras_audio_ssl.layers.memory_bank import FIFOMemoryBank
    from keras_audio_ssl.layers.seeded_random_layer import SeededRandomLayer

    return (LogMelSpectrogram, PreNormalization, PostNormalization, BYOLAAugmentation, SeededRandomLayer,
            FIFOMemoryBank)


def _layers(model):
    return model._flatten_layers(include_self=True, recursive=True)


@pytest.mark.large  # 8 fits: every recipe under both policies
@pytest.mark.parametrize("policy", ["mixed_bfloat16", "mixed_float16"])
@pytest.mark.parametrize("method", list(RECIPES))
def test_recipe_trains_under_the_policy_and_writes_float32_models(tmp_path, method, policy):
    recipe, settings, seconds = RECIPES[method]
    clips = synthetic.make_unlabeled_corpus(16, seconds=seconds, seed=3)
    run = tmp_path / "run"
    model, history = recipe.fit(clips, output_dir=str(run), dtype_policy=policy, **settings, **COMMON)
    assert np.all(np.isfinite(history.history["loss"]))
    assert json.loads((run / "config.json").read_text())["dtype_policy"] == policy

    # Low precision: the encoder (and the target copy) and the heads' matmuls; variables float32.
    low = LOW[policy]
    assert model.encoder.compute_dtype == low
    dense = [layer for layer in _layers(model) if isinstance(layer, (keras.layers.Dense, keras.layers.Conv2D))]
    assert dense and {layer.compute_dtype for layer in dense} == {low}
    assert {v.dtype for v in model.variables if "float" in v.dtype} == {"float32"}
    # float32: the method itself, front end, normalizations, augmentations, memory banks.
    float32_parts = [layer for layer in _layers(model) if isinstance(layer, _float32_part_types())]
    assert len(float32_parts) >= 2 and {layer.compute_dtype for layer in float32_parts} == {"float32"}
    assert model.compute_dtype == "float32"
    # float16 trains through a dynamic loss scale; bfloat16 (float32's range) needs none.
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer) == (policy == "mixed_float16")

    # The written models compute in float32 and hold exactly the trained weights.
    segment = settings.get("segment_samples", 15200)
    from keras_audio_ssl.encoders.embedding_model_parts import find_encoder

    encoder = keras.saving.load_model(str(run / "encoder.keras"))
    embedder = keras.saving.load_model(str(run / "embedding_model.keras"))
    for saved in (encoder, embedder):
        assert precision.low_precision_layers(saved) == [], saved.name
    for saved in (encoder, find_encoder(embedder)):
        for got, trained in zip(saved.get_weights(), model.encoder.get_weights(), strict=True):
            np.testing.assert_array_equal(got, trained)
    emb = np.asarray(embedder(clips[:4, :segment]))
    assert emb.dtype == np.float32
    # The same function as the low-precision model, to its rounding.
    np.testing.assert_allclose(emb, np.asarray(model(clips[:4, :segment])), rtol=0.05, atol=0.05 * np.abs(emb).max())

    # The step's float32 parts (last: a training-mode call moves the BatchNorm statistics).
    x = model.preprocess(clips[:8, :segment])
    views = model.make_views(x, training=True)
    loss, _ = model.compute_loss_and_diagnostics(views, training=True)
    assert x.dtype == "float32" and loss.dtype == "float32" and np.isfinite(float(loss))
    assert model.encoder(x).dtype == low


def test_a_run_continues_under_another_policy_except_across_float16(tmp_path):
    clips = synthetic.make_unlabeled_corpus(16, seconds=0.95, seed=4)
    run = str(tmp_path / "run")
    settings = dict(RECIPES["byola"][1], **dict(COMMON, steps_per_epoch=1))
    byola.fit(clips, output_dir=run, **dict(settings, epochs=1))
    _, history = byola.fit(clips, output_dir=run, dtype_policy="mixed_bfloat16", **dict(settings, epochs=2))
    assert history.epoch == [0, 1] and np.all(np.isfinite(history.history["loss"]))
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["dtype_policy"] == "mixed_bfloat16" and config["epochs_finished"] == 2
    # float16's loss-scale optimizer has state the others do not: refused before any training.
    with pytest.raises(ValueError, match="Received: dtype_policy='mixed_float16'"):
        byola.fit(clips, output_dir=run, dtype_policy="mixed_float16", **dict(settings, epochs=3))


def test_a_bad_policy_is_named_and_the_command_line_takes_one(tmp_path):
    clips = synthetic.make_unlabeled_corpus(4, seconds=0.95, seed=5)
    with pytest.raises(ValueError, match=r"mixed_bfloat16.*Received: dtype_policy='float16'"):
        byola.fit(clips, output_dir=str(tmp_path / "bad"), dtype_policy="float16", **RECIPES["byola"][1])
    assert not (tmp_path / "bad" / "config.json").exists()
    _, _, config = cli.parse_args(cola.fit, ["--data", "x", "--dtype-policy", "mixed_bfloat16"])
    assert config["dtype_policy"] == "mixed_bfloat16"
    assert cli.parse_args(cola.fit, ["--data", "x"])[2]["dtype_policy"] == "float32"


@pytest.mark.large  # XLA compiles each train step for ~20 s of CPU
@pytest.mark.parametrize("policy", ["mixed_bfloat16", "mixed_float16"])
def test_byola_trains_under_the_policy_with_xla(tmp_path, policy):
    clips = synthetic.make_unlabeled_corpus(16, seconds=0.95, seed=6)
    model, history = byola.fit(clips, output_dir=str(tmp_path / "run"), dtype_policy=policy,
                               **RECIPES["byola"][1], **dict(COMMON, jit_compile=True))
    assert model.jit_compile and np.all(np.isfinite(history.history["loss"]))
    assert model.encoder.compute_dtype == LOW[policy]


def test_auto_is_recorded_as_the_policy_it_resolved_to_and_resumes_by_it(tmp_path, monkeypatch):
    from keras_audio_ssl import cpu_info

    clips = synthetic.make_unlabeled_corpus(16, seconds=0.95, seed=7)
    run = str(tmp_path / "run")
    settings = dict(RECIPES["byola"][1], **dict(COMMON, steps_per_epoch=1))
    monkeypatch.setattr(precision, "accelerator_visible", lambda: False)
    monkeypatch.setattr(cpu_info, "cpu_flags", lambda: frozenset({"avx2"}))  # AVX2 only: float32
    model, _ = byola.fit(clips, output_dir=run, dtype_policy="auto", **dict(settings, epochs=1))
    assert model.encoder.compute_dtype == "float32"
    assert json.loads((tmp_path / "run" / "config.json").read_text())["dtype_policy"] == "float32"
    monkeypatch.setattr(cpu_info, "cpu_flags", lambda: frozenset({"avx2", "avx512f", "avx512_bf16"}))
    model, history = byola.fit(clips, output_dir=run, dtype_policy="auto", **dict(settings, epochs=2))
    assert model.encoder.compute_dtype == "bfloat16" and history.epoch == [0, 1]
    assert json.loads((tmp_path / "run" / "config.json").read_text())["dtype_policy"] == "mixed_bfloat16"
