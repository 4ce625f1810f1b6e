import os

import pandas as pd
import pytest

from keras_audio_ssl.evaluation import results_frame
from keras_audio_ssl.evaluation import to_markdown
from keras_audio_ssl.evaluation import write_results


def test_markdown_table_layout():
    frame = pd.DataFrame({"task": ["keywords", "a|b"], "score": [0.91234, 0.5], "n": [10, 200]})
    assert to_markdown(frame).splitlines() == [
        "| task     |  score |   n |",
        "| :------- | -----: | --: |",
        "| keywords | 0.9123 |  10 |",
        "| a\\|b     | 0.5000 | 200 |",
    ]


def test_results_frame_flattens_lists_and_drops_arrays():
    frame = results_frame([{"task": "t", "score": 0.5, "scores": [0.25, 0.75], "predictions": [1, 2]}])
    assert list(frame.columns) == ["task", "score", "scores"]
    assert frame.loc[0, "scores"] == "0.25;0.75"


def test_write_results_writes_csv_and_markdown(tmp_path):
    frame = pd.DataFrame({"task": ["x"], "score": [0.25]})
    csv_path, md_path = write_results(frame, tmp_path / "out", "table", title="T")
    assert pd.read_csv(csv_path).equals(frame)
    assert open(md_path).read() == "# T\n\n| task |  score |\n| :--- | -----: |\n| x    | 0.2500 |\n"


def test_write_results_removes_what_a_writer_killed_mid_rename_left(tmp_path):
    (tmp_path / ".kas-tmp-999999999-table.csv").write_text("task,sc")
    (tmp_path / "notes.csv").write_text("mine")
    write_results(pd.DataFrame({"task": ["x"], "score": [0.25]}), tmp_path, "table")
    assert sorted(os.listdir(tmp_path)) == ["notes.csv", "table.csv", "table.md"]


def test_results_on_a_full_disk_keep_the_previous_ones(tmp_path):
    from keras_audio_ssl.atomic_write import NoSpaceLeftError
    from tests.small_disk import fill
    from tests.small_disk import small_disk

    with small_disk(tmp_path / "disk", megabytes=1) as disk:
        small = pd.DataFrame({"task": ["a"], "score": [0.5]})
        csv_path, md_path = write_results(small, disk)
        before = open(csv_path).read(), open(md_path).read()
        fill(disk, leave_bytes=8 << 10)
        large = pd.DataFrame({"task": [f"task {i}" * 20 for i in range(2000)], "score": [0.25] * 2000})
        with pytest.raises(NoSpaceLeftError, match="no space left"):
            write_results(large, disk)
        assert (open(csv_path).read(), open(md_path).read()) == before
        assert sorted(os.listdir(disk)) == ["filler.bin", "results.csv", "results.md"]


def test_an_output_that_is_a_file_is_refused_before_any_work(tmp_path):
    from keras_audio_ssl.evaluation.results import check_output_folder

    (tmp_path / "f").write_text("x")
    with pytest.raises(ValueError, match="is a file"):
        check_output_folder(str(tmp_path / "f" / "sub"))
    check_output_folder(str(tmp_path / "new" / "sub"))
