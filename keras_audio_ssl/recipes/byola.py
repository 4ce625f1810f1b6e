"""BYOL-A pretraining recipe: the paper's defaults and the method builder.

Niizumi et al., "BYOL for Audio: Self-Supervised Learning for General-Purpose
Audio Representation" (IJCNN 2021); v2 settings from the authors' 2023 paper.

    python -m keras_audio_ssl.recipes.byola --config recipes/byola_audioset_d512.json \
        --data /path/to/audio_or_manifest.csv_or_shards-*.tfrecord --output-dir runs/d512 \
        [--epochs 1 --batch-size 16 ...]

The run directory, resume and checkpoint behaviour are `recipes.run.pretrain`'s.
"""

import sys

from keras_audio_ssl.recipes import cli
from keras_audio_ssl.recipes import run

# Settings that shape BYOLA's saved state (on top of run.pretrain's own).
_STATE_SHAPING = ("memory_size", "random_linear_fader", "augmentations", "batch_norm_views", "initialization",
                  "mel_scale")


def build_method(encoder, *, mean, std, mixup_ratio=0.4, memory_size=2048, ema_decay=0.99,
                 random_linear_fader=False, virtual_crop_scale=(1.0, 1.5), freq_scale=(0.6, 1.5),
                 time_scale=(0.6, 1.5), augmentations=("mixup", "rrc"), batch_norm_views="joint",
                 initialization="keras", mel_scale="slaney", seed=None):
    """The `BYOLA` model `fit()` trains (uncompiled)."""
    from keras_audio_ssl.methods import BYOLA

    return BYOLA(
        encoder,
        pre_norm_mean=mean,
        pre_norm_std=std,
        n_mels=getattr(encoder, "n_mels", 64),
        front_end=run.front_end({"mel_scale": mel_scale}, n_mels=getattr(encoder, "n_mels", 64)),
        augmentations=augmentations,
        batch_norm_views=batch_norm_views,
        initialization=initialization,
        mixup_ratio=mixup_ratio,
        memory_size=memory_size,
        ema_decay=ema_decay,
        random_linear_fader=random_linear_fader,
        virtual_crop_scale=tuple(virtual_crop_scale),
        freq_scale=tuple(freq_scale),
        time_scale=tuple(time_scale),
        seed=seed,
    )


def fit(
    data,
    *,
    output_dir,
    feature_d=2048,
    epochs=100,
    batch_size=256,
    learning_rate=3e-4,
    mixup_ratio=0.4,
    memory_size=2048,
    ema_decay=0.99,
    encoder="AudioNTT2020",
    random_linear_fader=False,
    virtual_crop_scale=(1.0, 1.5),
    freq_scale=(0.6, 1.5),
    time_scale=(0.6, 1.5),
    augmentations=("mixup", "rrc"),
    batch_norm_views="joint",
    initialization="keras",
    mel_scale="slaney",
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
    """Pretrains BYOL-A and writes a run directory (see `recipes.run`).

    Defaults are the paper's (BYOL-A v1, AudioSet): Adam lr 3e-4, batch 256,
    100 epochs, log-mixup-exp ratio 0.4 with a 2,048-entry memory bank, target
    EMA decay 0.99, AudioNTT2020 encoder with d=2048. A killed run resumes from
    its last finished epoch when `fit` is called again with the same
    `output_dir`; a finished one returns its model; more `epochs` continue it.

    Args:
        data: a folder of audio, a CSV manifest, a TFRecord glob, a list of
            paths, a `tf.data.Dataset` of 1-D float32 16 kHz waveforms, or a
            NumPy array `[clips, samples]`.
        output_dir: the run directory.
        feature_d: encoder width (512, 1024, 2048 in the paper).
        epochs: total epochs (including those finished before a resume).
        batch_size: clips per step.
        learning_rate: Adam learning rate.
        mixup_ratio: upper bound of the mixup weight (lambda ~ U(0, ratio)).
        memory_size: mixup memory bank size.
        ema_decay: target network decay.
        encoder: a registered encoder (`encoders.names()`): `"AudioNTT2020"`
            (v1) or `"AudioNTT2022"` (v2), or any other.
        random_linear_fader: add BYOL-A v2's Random Linear Fader to the views.
        virtual_crop_scale: Random Resize Crop's canvas, (frequency, time) x the input.
        freq_scale: range of the crop's frequency size, x the input's bins.
        time_scale: range of the crop's time size, x the input's frames.
        augmentations: blocks between the normalizations: `["mixup", "rrc"]` (the
            paper's), any subset, or `"gaussian"` for mixup (the paper's Table II).
        batch_norm_views: `"joint"` (both views in one batch) or `"per_view"` (the official code).
        initialization: `"keras"` (Glorot) or `"torch"` (PyTorch's defaults, the official code).
        mel_scale: `"slaney"` (librosa; the released weights) or `"htk"` (torchaudio; the
            official training code); the exported embedding model keeps it.
        steps_per_epoch: steps per epoch over a repeated dataset; `None` = one
            pass over the data.
        norm_stats_samples: clips used to compute the pre-normalization stats.
        segment_samples: crop length (15,200 = 0.95 s -> 96 frames).
        sample_rate: audio rate in Hz (16 kHz for BYOL-A).
        seed: seeds shuffling, augmentation and initialization.
        jit_compile: `True`, `False` or `"auto"` (XLA on GPU/TPU, off on CPU: measured slower there).
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
        `(model, history)`: the trained `BYOLA` model and a `keras.callbacks.History`
        whose `.history` covers every finished epoch, also those before a resume.

    Raises:
        TrainingDivergedError: the loss became NaN/inf (message names epoch and step).

    Example:
    >>> from keras_audio_ssl import synthetic
    >>> clips = synthetic.make_unlabeled_corpus(64, seconds=0.95)
    >>> model, history = fit(clips, output_dir="/tmp/byola_run", feature_d=512, epochs=1, batch_size=16)  # doctest: +SKIP
    """
    settings = {k: v for k, v in locals().items() if k not in ("data", "callbacks")}
    run.check_positive_int("memory_size", memory_size)
    run.check_fraction("mixup_ratio", mixup_ratio)
    run.check_fraction("ema_decay", ema_decay)
    for name, pair in (("virtual_crop_scale", virtual_crop_scale), ("freq_scale", freq_scale),
                       ("time_scale", time_scale)):
        if (not isinstance(pair, (list, tuple)) or len(pair) != 2
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in pair)
                or (name != "virtual_crop_scale" and pair[0] > pair[1])):
            raise ValueError(f"{name} must be two positive numbers" + ("" if name == "virtual_crop_scale" else
                             " (low <= high)") + f". Received: {name}={pair!r}")
        settings[name] = [float(v) for v in pair]
    from keras_audio_ssl.audio.mel_filters import MEL_SCALES
    from keras_audio_ssl.layers.initialization import check_initialization
    from keras_audio_ssl.methods.byola import check_augmentations
    from keras_audio_ssl.methods.byola import check_batch_norm_views

    settings["augmentations"] = list(check_augmentations(augmentations))
    check_batch_norm_views(batch_norm_views)
    check_initialization(initialization)
    if mel_scale not in MEL_SCALES:
        raise ValueError(f"mel_scale must be one of {MEL_SCALES}. Received: mel_scale={mel_scale!r}")

    def builder(encoder_model, *, mean, std):
        return build_method(
            encoder_model, mean=mean, std=std, mixup_ratio=mixup_ratio, memory_size=memory_size,
            ema_decay=ema_decay, random_linear_fader=random_linear_fader,
            virtual_crop_scale=virtual_crop_scale, freq_scale=freq_scale, time_scale=time_scale,
            augmentations=augmentations, batch_norm_views=batch_norm_views, initialization=initialization,
            mel_scale=mel_scale, seed=seed,
        )

    return run.pretrain(
        data, method="byola", settings=settings, build_method=builder, state_shaping=_STATE_SHAPING,
        callbacks=callbacks,
    )


def parse_args(argv=None):
    """Parses the command line into `(data, output_dir, config)`."""
    return cli.parse_args(fit, argv)


if __name__ == "__main__":
    sys.exit(cli.main(fit))
