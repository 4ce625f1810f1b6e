"""TensorFlow Datasets audio sets as downstream tasks: `--tasks tfds:speech_commands`.

A TFDS dataset is written once as 16 kHz float WAV files plus a
`path,label,split[,fold]` manifest under a cache folder, then read like any
CSV task (`csv_manifest`): the probes and the memory stay as for files on disk.
The manifest is written last, so a folder without one is an unfinished
export and is redone.
"""

import dataclasses
import os

import numpy as np

PREFIX = "tfds:"
CACHE_ENV = "KAS_TFDS_CACHE"


@dataclasses.dataclass(frozen=True)
class TfdsTask:
    """How one TFDS dataset maps to a task.

    Attributes:
        label: feature path of the class label (`"instrument/family"` for nested features).
        splits: TFDS split -> our split (train/valid/test); one split and
            `folds` > 1: no official split, rows go to `folds` folds by index.
        unit_seconds: BYOL-A's unit length for the dataset, when the paper gives one.
        folds: folds for leave-one-fold-out when the dataset has no test split.
    """

    label: str = "label"
    splits: tuple = (("train", "train"), ("validation", "valid"), ("test", "test"))
    unit_seconds: float = None
    folds: int = 0


# The datasets known by name; others are tried with a `label` feature and their own splits.
TFDS_TASKS = {
    "speech_commands": TfdsTask(unit_seconds=1.0),
    "nsynth": TfdsTask(label="instrument/family", splits=(("train", "train"), ("valid", "valid"), ("test", "test")),
                       unit_seconds=4.0),
    "crema_d": TfdsTask(),
    "gtzan": TfdsTask(splits=(("train", None),), folds=10),
}


def is_tfds_source(source):
    return isinstance(source, str) and source.startswith(PREFIX)


def _cache_root():
    return os.environ.get(CACHE_ENV) or os.path.join(os.path.expanduser("~"), ".cache", "keras_audio_ssl", "tfds")


def _float_waveform(audio, dtype, sample_rate):
    from keras_audio_ssl.audio import resample

    wave = np.asarray(audio)
    if wave.ndim == 2:  # [samples, channels]
        wave = wave.mean(axis=1)
    wave = wave.astype(np.float32) / 32768.0 if np.issubdtype(dtype, np.integer) else wave.astype(np.float32)
    return resample(wave, sample_rate, 16000).astype(np.float32) if sample_rate != 16000 else wave


def _feature(example, path):
    for key in path.split("/"):
        example = example[key]
    return example


def _label_names(features, path):
    for key in path.split("/"):
        features = features[key]
    return features


def _spec(name):
    base = name.split("/")[0]
    if base in TFDS_TASKS:
        return TFDS_TASKS[base]
    return None


def export_tfds_task(name, folder, *, data_dir=None, max_per_split=None):
    """Writes TFDS dataset `name` as WAV files + `manifest.csv` in `folder`; returns the manifest path."""
    import pandas as pd
    import soundfile as sf
    import tensorflow_datasets as tfds

    from keras_audio_ssl.recipes.run_state import save_atomic
    from keras_audio_ssl.recipes.run_state import write_text_atomic

    builder = tfds.builder(name, data_dir=data_dir)
    spec = _spec(name) or TfdsTask(splits=tuple((s, s) for s in builder.info.splits))
    audio_feature = builder.info.features["audio"]
    labels = _label_names(builder.info.features, spec.label)
    rows = []
    os.makedirs(folder, exist_ok=True)
    for tfds_split, split in spec.splits:
        dataset = tfds.load(name, split=tfds_split, data_dir=data_dir, download=True)
        if max_per_split:
            dataset = dataset.take(max_per_split)
        for index, example in enumerate(tfds.as_numpy(dataset)):
            wave = _float_waveform(example["audio"], audio_feature.np_dtype, audio_feature.sample_rate)
            path = os.path.join(tfds_split, f"{index:07d}.wav")
            os.makedirs(os.path.join(folder, tfds_split), exist_ok=True)
            save_atomic(lambda tmp, wave=wave: sf.write(tmp, wave, 16000, subtype="FLOAT", format="WAV"),
                        os.path.join(folder, path))
            row = {"path": path, "label": labels.int2str(int(_feature(example, spec.label)))}
            if spec.folds:
                row["fold"] = index % spec.folds + 1
            else:
                row["split"] = split
            rows.append(row)
    if not rows:
        raise ValueError(f"TFDS dataset {name!r} gave no examples. Received: splits={[s for s, _ in spec.splits]}")
    manifest = os.path.join(folder, "manifest.csv")
    write_text_atomic(manifest, pd.DataFrame(rows).to_csv(index=False))
    return manifest


def tfds_task(source, *, cache_dir=None, data_dir=None, max_per_split=None):
    """The DownstreamDataset of `tfds:<name>` (exported to the cache on first use).

    Args:
        source: `"tfds:speech_commands"`, `"tfds:nsynth"`, `"tfds:crema_d"`,
            `"tfds:gtzan"` or another TFDS audio dataset with `audio` and
            `label` features (`"tfds:<name>/<config>"` picks a config).
        cache_dir: where the WAV export goes (default `$KAS_TFDS_CACHE` or
            `~/.cache/keras_audio_ssl/tfds`).
        data_dir: TFDS's own data folder (default: TFDS's).
        max_per_split: keep only the first examples of each split (smoke runs).
    """
    from keras_audio_ssl.data.downstream import csv_manifest

    name = source[len(PREFIX):] if is_tfds_source(source) else source
    if not name:
        raise ValueError(f"Expected `tfds:<dataset name>` such as tfds:speech_commands. Received: {source!r}")
    folder = os.path.join(cache_dir or _cache_root(), name.replace("/", "__") + (f"_first{max_per_split}" if max_per_split else ""))
    manifest = os.path.join(folder, "manifest.csv")
    if not os.path.isfile(manifest):
        try:
            import tensorflow_datasets  # noqa: F401
        except ImportError as error:
            raise ValueError(f"{source} needs TensorFlow Datasets: pip install tensorflow-datasets. Received: {source!r}") from error
        try:
            manifest = export_tfds_task(name, folder, data_dir=data_dir, max_per_split=max_per_split)
        except OSError as error:  # no network, a failed download (requests' errors are OSErrors), a full disk
            first_line = str(error).splitlines()[0][:300] if str(error) else type(error).__name__
            raise ValueError(f"TFDS could not download or read {name!r} ({first_line}); download it with `tfds build "
                             f"{name}` where the network is reachable; TFDS_DATA_DIR names TFDS's folder. "
                             f"Received: {source!r}") from error
    task = csv_manifest(manifest, name=name.split("/")[0])
    spec = _spec(name)
    if spec is not None and spec.unit_seconds:
        task.unit_seconds = spec.unit_seconds
    return task
