"""SimCLR-audio pretraining recipe (Fonseca et al., ICASSP 2021): the paper's defaults and the method builder.

Fonseca, Ortego, McGuinness, O'Connor and Serra, "Unsupervised Contrastive
Learning of Sound Event Representations": two 101 x 96 time-frequency patches
per clip, mix-back (α = 0.05, energy-adjusted), RRC + compression + Gaussian
noise per patch, an MLP head, NT-Xent.

    python -m keras_audio_ssl.recipes.simclr --config recipes/simclr_cpu.json \\
        --data /path/to/audio_or_manifest.csv_or_shards-*.tfrecord --output-dir runs/simclr

The run directory, resume and checkpoint behaviour are `recipes.run.pretrain`'s.
"""

import sys

from keras_audio_ssl.recipes import cli
from keras_audio_ssl.recipes import run

# Settings that shape SimCLR's saved state (on top of run.pretrain's own).
_STATE_SHAPING = ("n_mels", "projection_dim", "hidden_dim", "mix_back_alpha", "augmentation")


def build_method(encoder, *, mean, std, n_mels=96, patch_frames=101, separation=None, mix_back_alpha=0.05,
                 energy_adjustment=True, augmentation="rrc+compression+noise", hidden_dim=None, projection_dim=128,
                 temperature=0.2, seed=None):
    """The `SimCLRAudio` model `fit()` trains (uncompiled)."""
    from keras_audio_ssl.methods import SimCLRAudio

    return SimCLRAudio(
        encoder, pre_norm_mean=mean, pre_norm_std=std, n_mels=n_mels, patch_frames=patch_frames,
        separation=separation, mix_back_alpha=mix_back_alpha, energy_adjustment=energy_adjustment,
        augmentation=augmentation, hidden_dim=hidden_dim, projection_dim=projection_dim,
        temperature=temperature, seed=seed,
    )


def fit(
    data,
    *,
    output_dir,
    feature_d=512,
    epochs=100,
    batch_size=128,
    learning_rate=1e-4,
    n_mels=96,
    patch_frames=101,
    separation=None,
    mix_back_alpha=0.05,
    energy_adjustment=True,
    augmentation="rrc+compression+noise",
    hidden_dim=None,
    projection_dim=128,
    temperature=0.2,
    encoder="AudioNTT2020",
    steps_per_epoch=None,
    norm_stats_samples=10000,
    segment_samples=48000,
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
    """Pretrains SimCLR-audio with mix-back and writes a run directory (see `recipes.run`).

    Paper defaults: 96 mel bands, patches of 101 frames drawn at random from
    each clip, mix-back α = 0.05 with energy adjustment, RRC + compression +
    noise, NT-Xent with τ = 0.2, batch 128 ("our case: batch size of 128").
    The slides state neither the learning rate nor the epochs: Adam 1e-4 and
    the garden's 100 epochs. Each clip contributes a random 3-s segment
    (`segment_samples`, 301 frames) that the two patches are drawn from. The
    paper's encoders are registered as "resnet18", "vgg_like" and "crnn"
    (the CRNN's d is 64); the default stays BYOL-A's AudioNTT2020 at d = 512
    (ResNet-18's width).

    Args:
        data: a folder of audio, a CSV manifest, a TFRecord glob, a list of
            paths, a `tf.data.Dataset` of 1-D float32 16 kHz waveforms, or a
            NumPy array `[clips, samples]`.
        output_dir: the run directory.
        feature_d: encoder width.
        epochs: total epochs (including those finished before a resume).
        batch_size: clips per step (each gives two patches).
        learning_rate: Adam learning rate.
        n_mels: mel bands of the log-mel front end (the paper's 96).
        patch_frames: frames per patch (101 = 1.01 s).
        separation: None (random) or frames between the two patches' starts.
        mix_back_alpha: mix-back's upper bound of λ; 0 disables mix-back.
        energy_adjustment: scale the background to the patch's energy first.
        augmentation: names joined by "+" from rrc, compression, noise,
            specaugment, shift, blur (applied in that order of writing);
            `"rrc+compression+noise"` is the paper's best, `"none"` disables.
        hidden_dim: the head's hidden width (None: the encoder's d).
        projection_dim: the head's output width (z).
        temperature: NT-Xent temperature.
        encoder: a registered encoder (`encoders.names()`) that takes `n_mels`.
        steps_per_epoch: steps per epoch over a repeated dataset; `None` = one
            pass over the data.
        norm_stats_samples: clips used to compute the pre-normalization stats.
        segment_samples: samples of each clip's segment (48,000 = 3 s).
        sample_rate: audio rate in Hz.
        seed: seeds shuffling, patches, augmentation and initialization.
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
        `(model, history)`: the trained `SimCLRAudio` model and a
        `keras.callbacks.History` covering every finished epoch.

    Example:
    >>> from keras_audio_ssl import synthetic
    >>> clips = synthetic.make_unlabeled_corpus(64, seconds=3.0)
    >>> model, history = fit(clips, output_dir="/tmp/simclr_run", feature_d=64, epochs=1, batch_size=16)  # doctest: +SKIP
    """
    settings = {k: v for k, v in locals().items() if k not in ("data", "callbacks")}
    run.check_positive_int("n_mels", n_mels)
    run.check_positive_int("projection_dim", projection_dim)
    run.check_positive_int("hidden_dim", hidden_dim, allow_none=True)
    from keras_audio_ssl.methods.simclr import check_simclr_arguments

    check_simclr_arguments(temperature=temperature, mix_back_alpha=mix_back_alpha, policy=augmentation,
                           patch_frames=patch_frames, separation=separation)
    if separation is not None and 1 + segment_samples // 160 < patch_frames + separation:
        raise ValueError(
            f"A {segment_samples}-sample segment has {1 + segment_samples // 160} frames, too few for two "
            f"{patch_frames}-frame patches {separation} frames apart. Received: separation={separation}"
        )

    def builder(encoder_model, *, mean, std):
        return build_method(
            encoder_model, mean=mean, std=std, n_mels=n_mels, patch_frames=patch_frames, separation=separation,
            mix_back_alpha=mix_back_alpha, energy_adjustment=energy_adjustment, augmentation=augmentation,
            hidden_dim=hidden_dim, projection_dim=projection_dim, temperature=temperature, seed=seed,
        )

    return run.pretrain(
        data, method="simclr", settings=settings, build_method=builder, state_shaping=_STATE_SHAPING,
        callbacks=callbacks,
    )


def parse_args(argv=None):
    """Parses the command line into `(data, output_dir, config)`."""
    return cli.parse_args(fit, argv)


if __name__ == "__main__":
    sys.exit(cli.main(fit))
