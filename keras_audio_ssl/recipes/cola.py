"""COLA and COLA' pretraining recipe: the papers' defaults and the method builder.

COLA: Saeed, Grangier and Zeghidour, "Contrastive Learning of General-Purpose
Audio Representations" (ICASSP 2021). COLA': the BYOL-A paper's reproduction
(Niizumi et al., 2021, Sec. IV-A6): BYOL-A's encoder and pre-normalization,
the bilinear loss, batch 1024; "COLA'+" adds BYOL-A's augmentations
(`augmentation="byola"`, appendix B).

    python -m keras_audio_ssl.recipes.cola --config recipes/cola_cpu.json \
        --data /path/to/audio_or_manifest.csv_or_shards-*.tfrecord --output-dir runs/cola

The run directory, resume and checkpoint behaviour are `recipes.run.pretrain`'s.
"""

import sys

from keras_audio_ssl.recipes import cli
from keras_audio_ssl.recipes import run

# Settings that shape COLA's saved state (on top of run.pretrain's own).
_STATE_SHAPING = ("projection_dim", "similarity", "augmentation", "memory_size")


def build_method(encoder, *, mean, std, projection_dim=512, similarity="bilinear", temperature=0.2,
                 augmentation="none", mixup_ratio=0.4, memory_size=2048, seed=None):
    """The `COLA` model `fit()` trains (uncompiled)."""
    from keras_audio_ssl.methods import COLA

    return COLA(
        encoder,
        pre_norm_mean=mean,
        pre_norm_std=std,
        n_mels=getattr(encoder, "n_mels", 64),
        projection_dim=projection_dim,
        similarity=similarity,
        temperature=temperature,
        augmentation=augmentation,
        mixup_ratio=mixup_ratio,
        memory_size=memory_size,
        seed=seed,
    )


def fit(
    data,
    *,
    output_dir,
    feature_d=2048,
    epochs=100,
    batch_size=1024,
    learning_rate=1e-4,
    projection_dim=512,
    similarity="bilinear",
    temperature=0.2,
    augmentation="none",
    mixup_ratio=0.4,
    memory_size=2048,
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
    """Pretrains COLA (or COLA') and writes a run directory (see `recipes.run`).

    Defaults are the COLA paper's: Adam lr 1e-4, batch 1024, two random
    segments of each clip as the positive pair and the batch's other clips as
    negatives, head g = Dense 512 -> LayerNorm -> tanh, bilinear similarity.
    The paper's encoder is EfficientNet-B0 (`encoder="efficientnet_b0"`); the
    default stays BYOL-A's AudioNTT2020 (which makes this COLA') until its
    quality row is measured at the garden's budget; any registered encoder
    can be named. Epochs are the garden's BYOL-A default (100); the paper
    states its budget in steps on AudioSet, not in epochs.

    Args:
        data: a folder of audio, a CSV manifest, a TFRecord glob, a list of
            paths, a `tf.data.Dataset` of 1-D float32 16 kHz waveforms, or a
            NumPy array `[clips, samples]`. Each clip gives two segments.
        output_dir: the run directory.
        feature_d: encoder width.
        epochs: total epochs (including those finished before a resume).
        batch_size: clips per step (each gives two segments: 2x the segments).
        learning_rate: Adam learning rate.
        projection_dim: units of the head g.
        similarity: `"bilinear"` (the paper's better variant) or `"cosine"`.
        temperature: cosine similarity temperature.
        augmentation: `"none"` (COLA, COLA') or `"byola"` (COLA'+: BYOL-A's
            mixup + random resize crop on each segment).
        mixup_ratio: BYOL-A mixup ratio when `augmentation="byola"`.
        memory_size: BYOL-A mixup memory bank when `augmentation="byola"`.
        encoder: a registered encoder (`encoders.names()`).
        steps_per_epoch: steps per epoch over a repeated dataset; `None` = one
            pass over the data.
        norm_stats_samples: clips used to compute the pre-normalization stats.
        segment_samples: length of each segment (15,200 = 0.95 s -> 96 frames).
        sample_rate: audio rate in Hz.
        seed: seeds shuffling, segment draws, augmentation and initialization.
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
        `(model, history)`: the trained `COLA` model and a `keras.callbacks.History`
        covering every finished epoch, also those before a resume.

    Example:
    >>> from keras_audio_ssl import synthetic
    >>> clips = synthetic.make_unlabeled_corpus(64, seconds=2.0)
    >>> model, history = fit(clips, output_dir="/tmp/cola_run", feature_d=64, epochs=1, batch_size=16)  # doctest: +SKIP
    """
    settings = {k: v for k, v in locals().items() if k not in ("data", "callbacks")}
    run.check_positive_int("projection_dim", projection_dim)
    run.check_positive_int("memory_size", memory_size)
    run.check_fraction("mixup_ratio", mixup_ratio)
    from keras_audio_ssl.methods.cola import check_cola_arguments

    check_cola_arguments(similarity=similarity, temperature=temperature, augmentation=augmentation)

    def builder(encoder_model, *, mean, std):
        return build_method(
            encoder_model, mean=mean, std=std, projection_dim=projection_dim, similarity=similarity,
            temperature=temperature, augmentation=augmentation, mixup_ratio=mixup_ratio,
            memory_size=memory_size, seed=seed,
        )

    return run.pretrain(
        data, method="cola", settings=settings, build_method=builder, state_shaping=_STATE_SHAPING,
        segments_per_clip=2, callbacks=callbacks,
    )


def parse_args(argv=None):
    """Parses the command line into `(data, output_dir, config)`."""
    return cli.parse_args(fit, argv)


if __name__ == "__main__":
    sys.exit(cli.main(fit))
