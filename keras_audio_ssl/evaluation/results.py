"""Result tables: a pandas DataFrame, written as CSV and as a Markdown table."""

import math
import os

import pandas as pd

from keras_audio_ssl import atomic_write


def _format_cell(value, float_format):
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return float_format.format(value)
    return str(value).replace("|", "\\|").replace("\n", " ")


def to_markdown(frame, float_format="{:.4f}", index=False):
    """A GitHub-flavoured Markdown table of `frame` (no `tabulate` dependency).

    Numeric columns are right-aligned, others left-aligned.

    Example:
    >>> print(to_markdown(pd.DataFrame({"task": ["a"], "accuracy": [0.5]})))
    | task | accuracy |
    | :--- | -------: |
    | a    |   0.5000 |
    """
    if index:
        frame = frame.reset_index()
    columns = [str(c) for c in frame.columns]
    rows = [[_format_cell(v, float_format) for v in row] for row in frame.itertuples(index=False, name=None)]
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns]
    widths = [max([len(columns[i]), 3] + [len(r[i]) for r in rows]) for i in range(len(columns))]

    def line(cells):
        padded = [c.rjust(w) if num else c.ljust(w) for c, w, num in zip(cells, widths, numeric)]
        return "| " + " | ".join(padded) + " |"

    rule = "| " + " | ".join(("-" * (w - 1) + ":") if num else (":" + "-" * (w - 1)) for w, num in zip(widths, numeric)) + " |"
    return "\n".join([line(columns), rule] + [line(r) for r in rows])


def write_results(frame, output_dir, name="results", float_format="{:.4f}", title=None):
    """Writes `<output_dir>/<name>.csv` and `<name>.md`; returns the two paths."""
    os.makedirs(output_dir, exist_ok=True)
    csv_path = os.path.join(output_dir, f"{name}.csv")
    md_path = os.path.join(output_dir, f"{name}.md")
    atomic_write.write_text(csv_path, frame.to_csv(index=False))
    atomic_write.write_text(md_path, (f"# {title}\n\n" if title else "") + to_markdown(frame, float_format=float_format)
                            + "\n")
    for path in (csv_path, md_path):  # what a writer killed mid-rename left
        atomic_write.remove_leftovers(output_dir, os.path.basename(path))
    return csv_path, md_path


def check_output_folder(output_dir):
    """Refuses, before any work, an output that cannot be a results folder (a file, or under one)."""
    path = os.path.abspath(os.fspath(output_dir))
    while path and not os.path.exists(path):
        path = os.path.dirname(path)
    if not os.path.isdir(path):
        raise ValueError(f"The results folder cannot be created: {path} is a file. Received: output={output_dir}")


def results_frame(results):
    """A DataFrame from a list of result dicts, dropping array-valued entries.

    List values (per-run scores) are kept as `;`-joined strings so the CSV stays flat.
    """
    rows = []
    for result in results:
        row = {}
        for key, value in result.items():
            if key in ("predictions", "model", "per_fold"):
                continue
            if isinstance(value, (list, tuple)):
                value = ";".join(f"{v:.6g}" if isinstance(v, float) else str(v) for v in value)
            row[key] = value
        rows.append(row)
    return pd.DataFrame(rows)
