import pandas as pd

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
