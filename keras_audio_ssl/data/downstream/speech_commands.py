"""Google Speech Commands V2 and V1 (Warden, 2018) from their native layout.

Layout (both versions): `<root>/<word>/<speaker>_nohash_<n>.wav`,
`<root>/_background_noise_/*.wav`, `<root>/validation_list.txt`,
`<root>/testing_list.txt` (paths relative to root). Files in neither list are
training files.
"""

import os

import pandas as pd

from keras_audio_ssl.data.downstream.dataset import DownstreamDataset
from keras_audio_ssl.data.downstream.dataset import require_path

KEYWORDS_12 = ("yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go")
SILENCE = "_silence_"
UNKNOWN = "_unknown_"
BACKGROUND = "_background_noise_"


def _read_list(path):
    with open(path) as f:
        return {line.strip().replace("\\", "/") for line in f if line.strip()}


def _silence_rows(root, slice_seconds):
    """1 s slices of the background-noise files; each file's time line is cut 80/10/10
    into train/valid/test so a noise segment never appears in two splits."""
    import soundfile as sf

    rows = []
    folder = os.path.join(root, BACKGROUND)
    if not os.path.isdir(folder):
        raise ValueError(f"The 12-class variant needs {folder} for `_silence_` clips. Received: root={root}")
    for name in sorted(os.listdir(folder)):
        if not name.lower().endswith(".wav"):
            continue
        path = os.path.join(folder, name)
        duration = sf.info(path).duration
        n_slices = int(duration // slice_seconds)
        for i in range(n_slices):
            position = (i + 0.5) / n_slices
            split = "train" if position < 0.8 else ("valid" if position < 0.9 else "test")
            rows.append({"path": path, "label": SILENCE, "split": split, "fold": None,
                         "start": i * slice_seconds, "end": (i + 1) * slice_seconds})
    if not rows:
        raise ValueError(f"No background-noise WAV of at least {slice_seconds} s in {folder}.")
    return rows


def speech_commands_v2(root, *, variant="35", silence_seconds=1.0):
    """Speech Commands V2 with the official validation/testing lists.

    Args:
        root: the extracted `speech_commands_v0.02` folder.
        variant: `"35"` (all 35 words, the BYOL-A "SPCV2" task) or `"12"` (10
            keywords + `_unknown_` for the other words + `_silence_` cut from
            `_background_noise_`, the "SPCV2/12" task).
        silence_seconds: length of each `_silence_` slice.

    Returns:
        DownstreamDataset; `_silence_` rows are slices (columns `start`/`end`).
    """
    if variant not in ("35", "12", 35, 12):
        raise ValueError(f"`variant` must be '35' or '12'. Received: variant={variant!r}")
    variant = str(variant)
    require_path(root, "Speech Commands root")
    validation = _read_list(require_path(os.path.join(root, "validation_list.txt"), "validation_list.txt"))
    testing = _read_list(require_path(os.path.join(root, "testing_list.txt"), "testing_list.txt"))
    rows = []
    for word in sorted(os.listdir(root)):
        folder = os.path.join(root, word)
        if not os.path.isdir(folder) or word.startswith("_"):
            continue
        for name in sorted(os.listdir(folder)):
            if not name.lower().endswith(".wav"):
                continue
            relative = f"{word}/{name}"
            split = "valid" if relative in validation else ("test" if relative in testing else "train")
            label = word if variant == "35" or word in KEYWORDS_12 else UNKNOWN
            rows.append({"path": os.path.join(folder, name), "label": label, "split": split, "fold": None})
    if not rows:
        raise ValueError(f"No word folders with WAV files under {root}. Received: root={root}")
    if variant == "12":
        rows += _silence_rows(root, silence_seconds)
    frame = pd.DataFrame(rows)
    classes = sorted(frame["label"].unique().tolist())
    name = "spcv2" if variant == "35" else "spcv2_12"
    return DownstreamDataset(name, frame, classes, unit_seconds=1.0)


def speech_commands_v1(root, *, silence_seconds=1.0):
    """Speech Commands V1 (`speech_commands_v0.01`, 30 words), the 12-class task.

    10 keywords + `_unknown_` + `_silence_`, with the official lists: the "SPCV1"
    task of COLA and HARES. V1 has the same layout as V2, so this is
    `speech_commands_v2(root, variant="12")` named "spcv1".
    """
    data = speech_commands_v2(root, variant="12", silence_seconds=silence_seconds)
    data.name = "spcv1"
    return data
