"""BYOL-A pretraining recipe: `fit()` and its command line.

Niizumi et al., "BYOL for Audio: Self-Supervised Learning for General-Purpose
Audio Representation" (IJCNN 2021); v2 settings from the authors' 2023 paper.

Command line (a preset holds only what differs from the paper defaults below):

    python -m keras_audio_ssl.recipes.byola --config recipes/byola_audioset_d512.json \
        --data /path/to/audio_or_manifest.csv_or_shards-*.tfrecord --output-dir runs/d512 \
        [--epochs 1 --batch-size 16 ...]

Run directory written by `fit()`:

    embedding_model.keras   waveform [B, N] 16 kHz -> embedding [B, d] (log-mel + frozen pre-norm + encoder)
    encoder.keras, encoder.weights.h5
    normalization.json      {"mean", "std"} of the log-mel (pre-normalization statistics)
    config.json             the fully resolved settings, library versions, finished epochs
    history.csv             one row per epoch (kept consistent across resumes)
    logs/                   TensorBoard
    checkpoints/            encoder weights per epoch (last `keep_checkpoints`); backup/ = resume state
"""

import argparse
import json
import os
import platform
import sys
import time

import numpy as np

from keras_audio_ssl.recipes.callbacks import EncoderCheckpoint
from keras_audio_ssl.recipes.callbacks import ResumableCSVLogger
from keras_audio_ssl.recipes.callbacks import SetLearningRate
from keras_audio_ssl.recipes.callbacks import StopOnNaN
from keras_audio_ssl.recipes.callbacks import TrainingDivergedError
from keras_audio_ssl.recipes.presets import load_preset
from keras_audio_ssl.recipes.presets import resolve_config

_ENCODERS = ("AudioNTT2020", "AudioNTT2022")


def resolve_jit_compile(jit_compile):
    """`"auto"` -> XLA on GPU/TPU, off on CPU.

    Measured on TF 2.21 CPU (DESIGN.md): a BYOL-A step at d=512, B=64 ran 63
    samples/s without XLA and 40 with it; re-measured with the fused
    BatchNorm on one pinned core (`taskset -c 0 ... --threads 1`), the step
    ran 54 clips/s without XLA and 21 with it (66 % vs 25 % of the GEMM
    peak), end to end 52 vs 21. So CPU defaults to off; on accelerators XLA
    fuses the augmentation and EMA update, so it defaults on.
    `benchmarks/throughput.py --jit-compile both` re-measures.
    """
    if isinstance(jit_compile, bool):
        return jit_compile
    if isinstance(jit_compile, str) and jit_compile.lower() in ("on", "true"):
        return True
    if isinstance(jit_compile, str) and jit_compile.lower() in ("off", "false"):
        return False
    if jit_compile != "auto":
        raise ValueError(f"jit_compile must be True, False or 'auto'. Received: jit_compile={jit_compile!r}")
    import tensorflow as tf

    return bool(tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("TPU"))


def _as_dataset_source(data):
    """NumPy arrays of waveforms become a tf.data.Dataset of 1-D clips."""
    if isinstance(data, np.ndarray):
        import tensorflow as tf

        if data.ndim != 2:
            raise ValueError(f"A waveform array must be 2-D [clips, samples]. Received: data.shape={data.shape}")
        return tf.data.Dataset.from_tensor_slices(data.astype(np.float32))
    return data


def compute_normalization_stats(dataset, num_samples, *, front_end=None, verbose=1):
    """Mean and std of the log-mel over about `num_samples` clips (the official code's pre-norm stats).

    Args:
        dataset: batches of raw waveforms `[B, N]`.
        num_samples: clips to use (rounded up to whole batches; fewer if the data ends).
        front_end: the log-mel layer (default `LogMelSpectrogram()`).
        verbose: show a progress bar.

    Returns:
        `(mean, std)` Python floats.
    """
    import keras

    from keras_audio_ssl.audio import LogMelSpectrogram

    front_end = front_end or LogMelSpectrogram()
    total, total_sq, count, seen = 0.0, 0.0, 0, 0
    target = num_samples
    batches = int(dataset.cardinality()) if hasattr(dataset, "cardinality") else -1
    if batches > 0 and batches * int(dataset.element_spec.shape[0] or 1) < num_samples:
        target = None  # a smaller (known-size) dataset: count up without a fixed end
    bar = keras.utils.Progbar(target, unit_name="clip") if verbose else None
    if verbose:
        print(f"Computing pre-normalization statistics on up to {num_samples} clips", flush=True)
    for batch in dataset:
        mel = keras.ops.convert_to_numpy(front_end(batch)).astype(np.float64)
        total += mel.sum()
        total_sq += np.square(mel).sum()
        count += mel.size
        seen += int(batch.shape[0])
        if bar is not None:
            bar.update(min(seen, num_samples))
        if seen >= num_samples:
            break
    if bar is not None:
        bar.update(seen, finalize=True)
    if count == 0:
        raise ValueError("No audio to compute normalization statistics from: the dataset yielded no batch.")
    mean = total / count
    std = float(np.sqrt(max(total_sq / count - mean**2, 0.0)))
    if not np.isfinite(mean) or not np.isfinite(std) or std < 1e-6:
        raise ValueError(
            f"Normalization statistics are degenerate (mean={mean}, std={std}): is the audio silent or constant?"
        )
    return float(mean), std


def build_encoder(encoder, feature_d):
    """Instantiates the named encoder."""
    from keras_audio_ssl import encoders

    if encoder not in _ENCODERS:
        raise ValueError(f"Unknown encoder; expected one of {_ENCODERS}. Received: encoder={encoder!r}")
    return getattr(encoders, encoder)(feature_d=feature_d)


def _build_method(*, encoder, mean, std, mixup_ratio, memory_size, ema_decay, random_linear_fader, seed):
    from keras_audio_ssl.methods import BYOLA

    return BYOLA(
        encoder,
        pre_norm_mean=mean,
        pre_norm_std=std,
        n_mels=getattr(encoder, "n_mels", 64),
        mixup_ratio=mixup_ratio,
        memory_size=memory_size,
        ema_decay=ema_decay,
        random_linear_fader=random_linear_fader,
        seed=seed,
    )


def _versions():
    import keras
    import tensorflow as tf

    import keras_audio_ssl

    return {
        "keras_audio_ssl": keras_audio_ssl.__version__,
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }


def _write_json(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


def _read_history_csv(path):
    import csv

    history = {}
    if not os.path.exists(path):
        return [], history
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        for key, value in row.items():
            if key != "epoch":
                history.setdefault(key, []).append(float(value) if value != "" else float("nan"))
    return [int(r["epoch"]) for r in rows], history


# Settings that shape the saved state: a resume must use the same values.
_STATE_SHAPING = ("feature_d", "encoder", "memory_size", "segment_samples", "sample_rate", "random_linear_fader")


def _check_resume_compatible(config_path, settings):
    if not os.path.exists(config_path):
        return
    with open(config_path) as f:
        previous = json.load(f)
    changed = {k: (previous.get(k), settings[k]) for k in _STATE_SHAPING if k in previous and previous[k] != settings[k]}
    if changed:
        details = ", ".join(f"{k}: {old!r} -> {new!r}" for k, (old, new) in changed.items())
        raise ValueError(
            f"Cannot resume the run in {os.path.dirname(config_path)} with different model settings ({details}). "
            "Use another output_dir, or delete its checkpoints/backup folder to start over. "
            f"Received: {', '.join(f'{k}={new!r}' for k, (_, new) in changed.items())}"
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
    steps_per_epoch=None,
    norm_stats_samples=10000,
    segment_samples=15200,
    sample_rate=16000,
    seed=42,
    jit_compile="auto",
    keep_checkpoints=5,
    verbose=1,
    skip_bad_files=False,
    callbacks=None,
):
    """Pretrains BYOL-A and writes a run directory (see the module docstring).

    Defaults are the paper's (BYOL-A v1, AudioSet): Adam lr 3e-4, batch 256,
    100 epochs, log-mixup-exp ratio 0.4 with a 2,048-entry memory bank, target
    EMA decay 0.99, AudioNTT2020 encoder with d=2048. Killed runs resume from the
    last finished epoch when `fit` is called again with the same `output_dir`.

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
        encoder: `"AudioNTT2020"` (v1) or `"AudioNTT2022"` (v2).
        random_linear_fader: add BYOL-A v2's Random Linear Fader to the views.
        steps_per_epoch: steps per epoch over a repeated dataset; `None` = one
            pass over the data.
        norm_stats_samples: clips used to compute the pre-normalization stats.
        segment_samples: crop length (15,200 = 0.95 s -> 96 frames).
        sample_rate: audio rate in Hz (16 kHz for BYOL-A).
        seed: seeds shuffling, augmentation and initialization.
        jit_compile: `True`, `False` or `"auto"` (XLA on GPU/TPU, off on CPU: measured slower there).
        keep_checkpoints: per-epoch encoder checkpoints to keep (`None`: all).
        verbose: 0 silent, 1 progress bar, 2 one line per epoch.
        skip_bad_files: skip undecodable files (reporting them) instead of failing.
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
    import keras
    import tensorflow as tf

    from keras_audio_ssl.data import make_pretraining_dataset
    from keras_audio_ssl.encoders import build_embedding_model

    settings = {k: v for k, v in locals().items() if k not in ("data", "callbacks", "keras", "tf")}
    settings.pop("make_pretraining_dataset", None)
    settings.pop("build_embedding_model", None)
    for name in ("feature_d", "epochs", "batch_size", "memory_size", "norm_stats_samples", "segment_samples"):
        if not isinstance(settings[name], (int, np.integer)) or settings[name] < 1:
            raise ValueError(f"{name} must be a positive integer. Received: {name}={settings[name]!r}")
    if not learning_rate > 0:
        raise ValueError(f"learning_rate must be > 0. Received: learning_rate={learning_rate}")
    if not 0.0 <= mixup_ratio <= 1.0:
        raise ValueError(f"mixup_ratio must be in [0, 1]. Received: mixup_ratio={mixup_ratio}")
    if not 0.0 <= ema_decay <= 1.0:
        raise ValueError(f"ema_decay must be in [0, 1]. Received: ema_decay={ema_decay}")
    use_jit = resolve_jit_compile(jit_compile)

    output_dir = os.path.abspath(output_dir)
    backup_dir = os.path.join(output_dir, "checkpoints", "backup")
    norm_path = os.path.join(output_dir, "normalization.json")
    os.makedirs(output_dir, exist_ok=True)
    resuming = os.path.exists(os.path.join(backup_dir, "training_metadata.json")) or os.path.exists(
        os.path.join(backup_dir, "training_metadata.json.bkp")
    )
    if resuming:
        _check_resume_compatible(os.path.join(output_dir, "config.json"), settings)
    keras.utils.set_random_seed(seed)

    source = _as_dataset_source(data)
    dataset_args = dict(
        segment_samples=segment_samples,
        sample_rate=sample_rate,
        skip_bad_files=skip_bad_files,
    )
    train_ds = make_pretraining_dataset(
        source,
        batch_size=batch_size,
        shuffle=True,
        seed=seed,
        repeat=steps_per_epoch is not None,
        drop_remainder=True,
        **dataset_args,
    )

    # Pre-normalization statistics: computed once per run and reused on resume,
    # so a resumed run normalizes exactly like the epochs it continues.
    if resuming and os.path.exists(norm_path):
        with open(norm_path) as f:
            stats = json.load(f)
        mean, std = float(stats["mean"]), float(stats["std"])
        if verbose:
            print(f"Resuming the run in {output_dir}; normalization mean={mean:.4f} std={std:.4f}", flush=True)
    else:
        stats_ds = make_pretraining_dataset(
            source,
            batch_size=min(batch_size, norm_stats_samples),
            shuffle=True,
            seed=seed + 1,
            repeat=False,
            drop_remainder=False,
            **dataset_args,
        )
        mean, std = compute_normalization_stats(stats_ds, norm_stats_samples, verbose=verbose)
        _write_json(norm_path, {"mean": mean, "std": std})

    config = {
        **settings,
        "output_dir": output_dir,
        "jit_compile_resolved": use_jit,
        "data": data if isinstance(data, (str, list)) else type(data).__name__,
        "normalization": {"mean": mean, "std": std},
        "versions": _versions(),
        "status": "running",
    }
    _write_json(os.path.join(output_dir, "config.json"), config)

    encoder_model = build_encoder(encoder, feature_d)
    model = _build_method(
        encoder=encoder_model,
        mean=mean,
        std=std,
        mixup_ratio=mixup_ratio,
        memory_size=memory_size,
        ema_decay=ema_decay,
        random_linear_fader=random_linear_fader,
        seed=seed,
    )
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), jit_compile=use_jit)
    # BackupAndRestore needs built weights (model and optimizer) to restore into.
    model.build((None, segment_samples))
    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)

    nan_guard = StopOnNaN(learning_rate=learning_rate)
    all_callbacks = [
        keras.callbacks.BackupAndRestore(backup_dir, save_freq="epoch", double_checkpoint=True),
        SetLearningRate(learning_rate),
        nan_guard,
        ResumableCSVLogger(os.path.join(output_dir, "history.csv")),
        keras.callbacks.TensorBoard(os.path.join(output_dir, "logs"), update_freq="epoch"),
        EncoderCheckpoint(encoder_model, os.path.join(output_dir, "checkpoints"), keep=keep_checkpoints),
        *(callbacks or []),
    ]
    start = time.time()
    history = model.fit(
        train_ds,
        epochs=epochs,
        steps_per_epoch=steps_per_epoch,
        callbacks=all_callbacks,
        verbose=verbose,
        shuffle=False,  # the dataset shuffles itself
    )
    if nan_guard.message is not None:
        config["status"] = "diverged"
        config["error"] = nan_guard.message
        _write_json(os.path.join(output_dir, "config.json"), config)
        raise TrainingDivergedError(nan_guard.message)

    encoder_model.save(os.path.join(output_dir, "encoder.keras"))
    encoder_model.save_weights(os.path.join(output_dir, "encoder.weights.h5"))
    embedding_model = build_embedding_model(encoder_model, mean=mean, std=std)
    embedding_model.save(os.path.join(output_dir, "embedding_model.keras"))

    epochs_done, full_history = _read_history_csv(os.path.join(output_dir, "history.csv"))
    history.history = full_history
    history.epoch = epochs_done
    config.update(
        status="finished",
        epochs_finished=len(epochs_done),
        train_seconds_this_session=round(time.time() - start, 1),
        final_loss=full_history.get("loss", [None])[-1],
    )
    _write_json(os.path.join(output_dir, "config.json"), config)
    return model, history


def _parse_value(text, default):
    """Parses a command-line value using the type of the default."""
    if isinstance(default, bool):
        if text.lower() in ("1", "true", "yes", "on"):
            return True
        if text.lower() in ("0", "false", "no", "off"):
            return False
        raise argparse.ArgumentTypeError(f"expected true/false, got {text!r}")
    if isinstance(default, int):
        return int(text)
    if isinstance(default, float):
        return float(text)
    if default is None or isinstance(default, str):
        try:  # numbers and null for None-default settings (e.g. steps_per_epoch)
            return json.loads(text)
        except json.JSONDecodeError:
            return text
    return text


def parse_args(argv=None):
    """Parses the command line into `(data, output_dir, config)`."""
    from keras_audio_ssl.recipes.presets import recipe_defaults

    defaults = recipe_defaults(fit)
    defaults.pop("callbacks", None)
    parser = argparse.ArgumentParser(
        prog="python -m keras_audio_ssl.recipes.byola",
        description="Pretrain BYOL-A. Settings: paper defaults <- --config preset <- explicit flags.",
    )
    parser.add_argument("--config", help="a preset JSON file, e.g. recipes/byola_audioset_d512.json")
    parser.add_argument("--data", required=True, help="audio folder, CSV manifest or TFRecord glob")
    parser.add_argument("--output-dir", default=None, help="run directory (default runs/<preset name>)")
    for name, default in defaults.items():
        if name == "output_dir":
            continue
        parser.add_argument(
            "--" + name.replace("_", "-"),
            dest=name,
            default=argparse.SUPPRESS,
            type=lambda text, d=default: _parse_value(text, d),
            help=f"default {default!r}",
        )
    args = vars(parser.parse_args(argv))
    data = args.pop("data")
    preset_path = args.pop("config")
    output_dir = args.pop("output_dir")
    preset = load_preset(preset_path) if preset_path else {}
    config = resolve_config(fit, preset, args)
    config.pop("callbacks", None)
    config.pop("output_dir", None)
    if output_dir is None:
        name = os.path.splitext(os.path.basename(preset_path))[0] if preset_path else "byola"
        output_dir = os.path.join("runs", name)
    return data, output_dir, config


def main(argv=None):
    data, output_dir, config = parse_args(argv)
    try:
        fit(data, output_dir=output_dir, **config)
    except TrainingDivergedError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"Run directory: {output_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
