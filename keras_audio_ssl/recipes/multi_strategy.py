"""Multiple-sampling-strategies pretraining recipe (Kuroyanagi & Komatsu, ICASSP 2022): the paper's defaults.

Clip-level (COLA's bilinear cross-entropy), frame-level and pitch-shift losses
on one encoder, `L = L_clip + α L_frame + β L_pitch`.

    python -m keras_audio_ssl.recipes.multi_strategy --config recipes/multi_strategy_cpu.json \\
        --data /path/to/audio_or_manifest.csv_or_shards-*.tfrecord --output-dir runs/multi_strategy

The run directory, resume and checkpoint behaviour are `recipes.run.pretrain`'s.
"""

import sys

from keras_audio_ssl.recipes import cli
from keras_audio_ssl.recipes import run

# Settings that shape the saved state (on top of run.pretrain's own).
_STATE_SHAPING = ("projection_dim", "similarity")


def build_method(encoder, *, mean, std, projection_dim=512, similarity="bilinear", temperature=0.2, frame_weight=1.0,
                 pitch_weight=1.0, m=0, factor_range=(0.8, 1.2), seed=None):
    """The `MultiStrategy` model `fit()` trains (uncompiled)."""
    from keras_audio_ssl.methods import MultiStrategy

    return MultiStrategy(
        encoder, pre_norm_mean=mean, pre_norm_std=std, n_mels=getattr(encoder, "n_mels", 64),
        projection_dim=projection_dim, similarity=similarity, temperature=temperature, frame_weight=frame_weight,
        pitch_weight=pitch_weight, m=m, factor_range=factor_range, seed=seed,
    )


def fit(
    data,
    *,
    output_dir,
    feature_d=512,
    epochs=250,
    batch_size=1024,
    learning_rate=1e-4,
    projection_dim=512,
    similarity="bilinear",
    temperature=0.2,
    frame_weight=1.0,
    pitch_weight=1.0,
    m=0,
    factor_range=(0.8, 1.2),
    encoder="AudioNTT2020",
    steps_per_epoch=None,
    norm_stats_samples=10000,
    segment_samples=15200,
    sample_rate=16000,
    seed=42,
    jit_compile="auto",
    dtype_policy="float32",
    keep_checkpoints=5,
    verbose=1,
    skip_bad_files=False,
    strategy=None,
    data_service=None,
    callbacks=None,
):
    """Pretrains with multiple sampling strategies and writes a run directory (see `recipes.run`).

    Paper defaults (Sec. 3): Adam 1e-4, batch 1024, 250 epochs, 64 mel bands
    and 96-frame (0.95 s) segments, two segments per clip, α = β = 1, m = 0,
    pitch shift in [0.8, 1.2], bilinear similarity, heads of 512 units. The
    paper's encoder is EfficientNet-B0 with frequency pooling (T' = 3),
    `encoder="efficientnet_b0"`; the default stays BYOL-A's AudioNTT2020 at
    d = 512 (T' = 12) until its quality row is measured at the garden's budget.
    `frame_weight=0` / `pitch_weight=0` give the paper's ablations.

    Args:
        data: a folder of audio, a CSV manifest, a TFRecord glob, a list of
            paths, a `tf.data.Dataset` of 1-D float32 16 kHz waveforms, or a
            NumPy array `[clips, samples]`. Each clip gives two segments.
        output_dir: the run directory.
        feature_d: encoder width.
        epochs: total epochs (including those finished before a resume).
        batch_size: clips per step (each gives two segments and a pitch-shifted one).
        learning_rate: Adam learning rate.
        projection_dim: units of the clip and frame heads.
        similarity: `"bilinear"` (the paper's better variant) or `"cosine"` (/ temperature).
        temperature: cosine similarity divisor.
        frame_weight: α, the frame-level loss weight.
        pitch_weight: β, the pitch-shift loss weight.
        m: frames within ±m of an anchor frame are its positives.
        factor_range: the pitch-shift factor range.
        encoder: a registered encoder whose last layer pools frames over time.
        steps_per_epoch: steps per epoch over a repeated dataset; `None` = one
            pass over the data.
        norm_stats_samples: clips used to compute the pre-normalization stats.
        segment_samples: length of each segment (15,200 = 0.95 s -> 96 frames).
        sample_rate: audio rate in Hz.
        seed: seeds shuffling, segment draws, shifts and initialization.
        jit_compile: `True`, `False` or `"auto"` (XLA on GPU/TPU, off on CPU).
        dtype_policy: `"float32"`, `"mixed_bfloat16"`, `"mixed_float16"` (dynamic loss scaling) or
            `"auto"` (bfloat16 where the CPU has it natively or on GPU/TPU, else float32):
            the encoder and heads compute in that precision, variables, front end, normalizations,
            views and loss stay float32; the saved models are float32 (see `recipes.run`).
        keep_checkpoints: per-epoch encoder checkpoints to keep (`None`: all).
        verbose: 0 silent, 1 progress bar (one line per epoch when not a terminal), 2 one line per epoch.
        skip_bad_files: skip undecodable files (reporting them) instead of failing.
        strategy: `None` (the default device), `"mirrored"` (every local GPU, one process),
            `"multi_worker"` (every process of the `TF_CONFIG` cluster runs this same call),
            `"tpu"`, or a `tf.distribute.Strategy`; `batch_size` is the global batch (see `recipes.run`).
        data_service: a tf.data service dispatcher (`"grpc://host:port"`) whose workers decode and
            batch the audio instead of this process (`data.make_pretraining_dataset`).
        callbacks: extra Keras callbacks.

    Returns:
        `(model, history)`: the trained `MultiStrategy` model and a
        `keras.callbacks.History` covering every finished epoch.
    """
    settings = {k: v for k, v in locals().items() if k not in ("data", "callbacks")}
    settings["factor_range"] = [float(v) for v in factor_range]
    run.check_positive_int("projection_dim", projection_dim)
    from keras_audio_ssl.methods.multi_strategy import check_multi_strategy_arguments

    check_multi_strategy_arguments(similarity=similarity, temperature=temperature, frame_weight=frame_weight,
                                   pitch_weight=pitch_weight, m=m, factor_range=tuple(factor_range))

    def builder(encoder_model, *, mean, std):
        return build_method(
            encoder_model, mean=mean, std=std, projection_dim=projection_dim, similarity=similarity,
            temperature=temperature, frame_weight=frame_weight, pitch_weight=pitch_weight, m=m,
            factor_range=tuple(factor_range), seed=seed,
        )

    return run.pretrain(
        data, method="multi_strategy", settings=settings, build_method=builder, state_shaping=_STATE_SHAPING,
        segments_per_clip=2, callbacks=callbacks,
    )


def parse_args(argv=None):
    """Parses the command line into `(data, output_dir, config)`."""
    return cli.parse_args(fit, argv)


if __name__ == "__main__":
    sys.exit(cli.main(fit))
