import importlib.util
import os

import numpy as np
from PIL import Image

from tests.test_case import tone
from tests.test_case import write_wav

TOOL = os.path.join(os.path.dirname(__file__), "..", "..", "tools", "show_augmentations.py")


def _tool():
    spec = importlib.util.spec_from_file_location("show_augmentations", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_grid_from_a_folder(tmp_path):
    folder = tmp_path / "wavs"
    folder.mkdir()
    write_wav(folder / "a.wav", tone(440.0, seconds=1.5))
    write_wav(folder / "b.wav", tone(1500.0, seconds=0.5))  # shorter than a segment: padded
    out = tmp_path / "grid.png"
    assert _tool().main(["--input", str(folder), "--output", str(out), "--views", "3", "--clips", "2"]) == 0
    image = np.asarray(Image.open(out))
    zoom, pad, title_h, label_w = 3, 6, 18, 110
    assert image.shape[0] == title_h + 2 * (64 * zoom + pad) + pad
    assert image.shape[1] == label_w + 4 * (96 * zoom + pad) + pad
    # Views are not copies of the input tile.
    top = title_h
    first = image[top : top + 64 * zoom, label_w + pad : label_w + pad + 96 * zoom]
    second = image[top : top + 64 * zoom, label_w + 2 * pad + 96 * zoom : label_w + 2 * pad + 2 * 96 * zoom]
    assert first.std() > 10 and not np.array_equal(first, second)
