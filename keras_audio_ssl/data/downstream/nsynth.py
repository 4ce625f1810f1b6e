"""NSynth (Engel et al., 2017): `nsynth-{train,valid,test}/examples.json` + `audio/<note>.wav`."""

import json
import os

import pandas as pd

from keras_audio_ssl.data.downstream.dataset import DownstreamDataset
from keras_audio_ssl.data.downstream.dataset import require_path

_TARGETS = ("instrument_family", "pitch")


def nsynth(root, *, target="instrument_family"):
    """NSynth with its official train/valid/test folders.

    Args:
        root: the folder holding `nsynth-train`, `nsynth-valid`, `nsynth-test`.
        target: `"instrument_family"` (11 families, the BYOL-A task; label is
            `instrument_family_str`) or `"pitch"` (MIDI note number as a string,
            zero-padded to three digits so classes sort numerically).
    """
    if target not in _TARGETS:
        raise ValueError(f"`target` must be one of {_TARGETS}. Received: target={target!r}")
    rows = []
    for split in ("train", "valid", "test"):
        folder = os.path.join(root, f"nsynth-{split}")
        if not os.path.isdir(folder):
            continue
        with open(require_path(os.path.join(folder, "examples.json"), "NSynth examples.json")) as f:
            examples = json.load(f)
        for note, info in sorted(examples.items()):
            if target == "pitch":
                label = f"{int(info['pitch']):03d}"
            else:
                label = str(info.get("instrument_family_str", info.get("instrument_family")))
            rows.append({"path": os.path.join(folder, "audio", f"{note}.wav"), "label": label,
                         "split": split, "fold": None})
    if not rows:
        raise ValueError(f"No nsynth-{{train,valid,test}} folder under {root}. Received: root={root}")
    frame = pd.DataFrame(rows)
    name = "nsynth" if target == "instrument_family" else "nsynth_pitch"
    return DownstreamDataset(name, frame, sorted(frame["label"].unique().tolist()), unit_seconds=4.0)
