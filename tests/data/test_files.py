import logging
import os

import numpy as np
import pytest

from keras_audio_ssl.data import find_audio_files
from keras_audio_ssl.data import read_manifest
from tests.data.bad_corpus import write_manifest
from tests.test_case import write_wav


def _touch_tree(root):
    layout = ["a.wav", "b.FLAC", "notes.txt", "sub/c.ogg", "sub/deeper/d.mp3", "sub/deeper/e.WAV", "z/readme.md"]
    for rel in layout:
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        open(path, "wb").close()
    return layout


def test_find_audio_files_recursive_by_extension(tmp_path):
    _touch_tree(tmp_path)
    found = [os.path.relpath(p, tmp_path) for p in find_audio_files(tmp_path)]
    assert found == sorted(["a.wav", "b.FLAC", "sub/c.ogg", "sub/deeper/d.mp3", "sub/deeper/e.WAV"])
    wav_only = [os.path.relpath(p, tmp_path) for p in find_audio_files(tmp_path, extensions=["WAV"])]
    assert wav_only == ["a.wav", "sub/deeper/e.WAV"]  # case-insensitive, dot optional
    assert [os.path.relpath(p, tmp_path) for p in find_audio_files(tmp_path, extensions=".flac")] == ["b.FLAC"]
    top = [os.path.relpath(p, tmp_path) for p in find_audio_files(tmp_path, recursive=False)]
    assert top == ["a.wav", "b.FLAC"]


def test_find_audio_files_rejects_missing_folder(tmp_path):
    with pytest.raises(ValueError, match="Received: folder="):
        find_audio_files(tmp_path / "nope")


def test_manifest_resolves_relative_paths_against_its_folder(tmp_path):
    audio_dir = tmp_path / "corpus" / "clips"
    audio_dir.mkdir(parents=True)
    a = write_wav(audio_dir / "a.wav", np.zeros(100, np.float32))
    b = write_wav(tmp_path / "b.wav", np.zeros(100, np.float32))
    csv = write_manifest(
        tmp_path / "corpus" / "meta.csv",
        [("clips/a.wav", "dog", "train", 1), (b, "cat", "test", 2)],  # relative and absolute
        header=("path", "label", "split", "fold"),
    )
    # Read from another working directory: resolution must not depend on the cwd.
    cwd = os.getcwd()
    os.chdir(tmp_path / "corpus" / "clips")
    try:
        table = read_manifest(csv)
    finally:
        os.chdir(cwd)
    assert list(table["path"]) == [os.path.abspath(a), os.path.abspath(b)]
    assert list(table["label"]) == ["dog", "cat"]
    assert list(table["split"]) == ["train", "test"]
    assert list(table["fold"]) == [1, 2]


def test_manifest_row_pointing_nowhere_names_line_and_path(tmp_path, caplog):
    write_wav(tmp_path / "ok.wav", np.zeros(100, np.float32))
    csv = write_manifest(tmp_path / "m.csv", [("ok.wav",), ("gone/missing.wav",), ("ok.wav",)])
    missing = os.path.join(str(tmp_path), "gone", "missing.wav")
    with pytest.raises(ValueError) as info:
        read_manifest(csv)
    assert "line 3" in str(info.value) and missing in str(info.value) and "1 of 3 rows" in str(info.value)
    with caplog.at_level(logging.WARNING):
        table = read_manifest(csv, on_missing="skip")
    assert len(table) == 2 and missing in caplog.text
    assert len(read_manifest(csv, on_missing="keep")) == 3


def test_manifest_without_path_column(tmp_path):
    csv = write_manifest(tmp_path / "m.csv", [("a.wav",)], header=("file",))
    with pytest.raises(ValueError, match="needs a `path` column"):
        read_manifest(csv)
    with pytest.raises(ValueError, match="Received: on_missing="):
        read_manifest(csv, on_missing="ignore")


def test_symlink_cycle_is_scanned_once(tmp_path):
    (tmp_path / "a").mkdir()
    open(tmp_path / "a" / "x.wav", "wb").close()
    os.symlink(tmp_path, tmp_path / "a" / "loop")
    assert find_audio_files(tmp_path) == [str(tmp_path / "a" / "x.wav")]


def test_manifest_empty_path_cell_is_a_missing_row(tmp_path):
    write_wav(tmp_path / "ok.wav", np.zeros(100, np.float32))
    csv = tmp_path / "m.csv"
    csv.write_text("path,label\nok.wav,a\n,b\n")
    with pytest.raises(ValueError, match="line 3"):
        read_manifest(csv)


def test_folder_scan_streams_in_the_order_of_the_sorted_paths(tmp_path):
    from keras_audio_ssl.data.files import iter_audio_files

    # "a-1.wav" sorts before "a/x.wav" ('-' < '/'), though a listing sorted by name puts "a" first.
    for rel in ["a/x.wav", "a-1.wav", "a.b/y.wav", "a0.wav", "b/c/z.wav", "b.wav", "B.wav"]:
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")
    os.symlink(tmp_path / "b", tmp_path / "b" / "c" / "loop")  # a cycle is scanned once
    every = [os.path.join(root, name) for root, _, files in os.walk(tmp_path) for name in files]
    assert list(iter_audio_files(tmp_path)) == sorted(every)
    assert find_audio_files(tmp_path) == sorted(every)


def test_audio_rows_stream_a_manifest_in_chunks_like_read_manifest(tmp_path, caplog):
    from keras_audio_ssl.data import AudioRows

    for name in ("a.wav", "b.wav"):
        write_wav(tmp_path / name, np.zeros(100, np.float32))
    rows = [("a.wav" if i % 2 else "b.wav", f"{i}.50" if i % 3 else "", "train" if i < 6 else "test") for i in range(9)]
    rows[4] = ("gone.wav", "x", "train")  # CSV line 6
    csv = write_manifest(tmp_path / "m.csv", rows, header=("path", "label", "split"))
    kept = [row for row in rows if row[0] != "gone.wav"]
    expected = list(zip(read_manifest(csv, on_missing="skip")["path"], [label for _, label, _ in kept]))
    streamed = AudioRows(csv, on_missing="skip", chunk_rows=2)
    caplog.clear()  # read_manifest's own warning
    with caplog.at_level(logging.WARNING):
        assert list(streamed) == expected  # across chunks of 2 rows; labels as written: "1.50", ""
        assert list(streamed) == expected  # read again: the missing row was looked up and reported once
    assert caplog.text.count("gone.wav") == 1 and "line 6" in caplog.text
    train = AudioRows(csv, split="train", on_missing="skip", chunk_rows=4)
    assert [label for _, label in train] == [label for _, label, split in kept if split == "train"]
    with pytest.raises(ValueError, match=r"1 of 9 rows point to no file: line 6: .*gone.wav"):
        list(AudioRows(csv, chunk_rows=3))
    with pytest.raises(ValueError, match="Received: split='dev'"):
        AudioRows(write_manifest(tmp_path / "n.csv", [("a.wav",)]), split="dev")
    assert list(AudioRows(tmp_path)) == [(str(tmp_path / "a.wav"), None), (str(tmp_path / "b.wav"), None)]


def test_a_symlink_loop_is_listed_for_the_check_to_name(tmp_path):
    # Finding 13: a looping symlink was dropped from a folder scan without a count.
    from keras_audio_ssl.data import find_audio_files

    loop = tmp_path / "loop.wav"
    os.symlink(loop, loop)
    assert find_audio_files(str(tmp_path)) == [str(loop)]
