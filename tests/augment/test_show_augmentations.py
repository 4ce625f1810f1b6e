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


def test_other_methods_show_their_own_views(tmp_path):
    tool = _tool()
    for method, columns in (("cola", 2), ("multi_strategy", 3), ("simclr", 2)):
        out = tmp_path / f"{method}.png"
        assert tool.main(["--method", method, "--output", str(out), "--clips", "2"]) == 0
        image = np.asarray(Image.open(out))
        zoom, pad, title_h = 3, 6, 18
        mels = 96 if method == "simclr" else 64
        assert image.shape[0] == title_h + 2 * (mels * zoom + pad) + pad
        # The input tile, then one tile per view: count where tiles start along a tile row.
        row = image[title_h + mels * zoom // 2, 110:].min(axis=-1) < 250
        starts = np.flatnonzero(row[1:] & ~row[:-1])
        assert len(starts) == 1 + columns, (method, starts)


def test_fader_is_refused_for_another_method(tmp_path, capsys):
    import pytest

    with pytest.raises(SystemExit) as error:
        _tool().main(["--method", "cola", "--fader", "--output", str(tmp_path / "x.png")])
    assert error.value.code == 2 and "Received: --method=cola" in capsys.readouterr().err
