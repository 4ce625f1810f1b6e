"""Writes a benchmark's result into the documentation: a Markdown table and a plot, generated.

Every benchmark takes `--write-docs [DIR]` (default `docs/results`) and calls `write_results`
with the table it printed and a matplotlib figure of it. The documentation pages include
`docs/results/<name>.md`, so no figure in the docs is typed by hand: a page shows what the
last run of the command wrote, stamped with the machine it ran on, its load average at the run's
start and end and the cores other processes used meanwhile (`keras_audio_ssl.cpu_info.stamp_line()`,
the one owner of that description).

Both files are written to a temporary sibling and renamed into place, so a killed run
leaves the previous result whole.
"""

import os
import shlex
import sys
import tempfile

DEFAULT_DIR = os.path.join("docs", "results")

# The benchmarks that write a result, in the order the documentation lists them.
BENCHMARKS = ("throughput", "block_alternatives", "latency", "scaling", "encoders", "mixed_precision", "quality", "ablation", "data_size")


def add_write_docs_argument(parser):
    """The `--write-docs [DIR]` flag every benchmark shares."""
    parser.add_argument("--write-docs", nargs="?", const=DEFAULT_DIR, default=None, metavar="DIR",
                        help=f"also write the table (Markdown) and a plot (PNG) into DIR (default {DEFAULT_DIR}), "
                             "where the documentation includes them")


def command_line(script, argv=None):
    """The command that produced a result, as a reader would type it again."""
    args = sys.argv[1:] if argv is None else list(argv)
    return shlex.join(["python", f"benchmarks/{script}.py", *args])


def run_and_write(script, run, write_docs, args, argv=None):
    """The end of a pretraining benchmark's `main`: `run()` returns the result; a `ValueError` from it
    (a benchmark folder or an initial encoder that does not fit) is one `<script>.py: error:` line
    and exit 2; with `--write-docs` the result goes to `write_docs(result, DIR, command=, quick=)`."""
    try:
        result = run()
    except ValueError as error:
        print(f"{script}.py: error: {error}", file=sys.stderr)
        return 2
    if args.write_docs:
        write_docs(result, args.write_docs, command=command_line(script, argv), quick=args.quick)
    return 0


def markdown_table(headers, rows):
    """A GitHub/Python-Markdown table; cells are written with `str()` (format numbers before)."""
    def cell(value):
        return str(value).replace("|", "\\|")

    lines = ["| " + " | ".join(cell(h) for h in headers) + " |",
             "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def new_figure(width=7.0, height=3.6):
    """A matplotlib figure without pyplot (no display backend, no global state)."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def bar_chart(ax, labels, series, ylabel, title=None):
    """Grouped bars: one group per label, one bar per entry of `series` ({name: values})."""
    import numpy as np

    x = np.arange(len(labels))
    width = 0.8 / max(1, len(series))
    for i, (name, values) in enumerate(series.items()):
        heights = [np.nan if v is None else float(v) for v in values]
        ax.bar(x + (i - (len(series) - 1) / 2) * width, heights, width, label=name)
    ax.set_xticks(x, labels, rotation=30 if max((len(str(l)) for l in labels), default=0) > 8 else 0, ha="right")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if len(series) > 1:
        ax.legend(fontsize="small")
    ax.grid(axis="y", alpha=0.3)


def _replace(path, write):
    """Calls `write(temp_path)`, then renames the temporary sibling onto `path`."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=folder)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp's 0600 would make the docs unreadable to others
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_results(name, markdown_table, figure=None, out_dir=DEFAULT_DIR, *, command=None, note=None):
    """Writes `<out_dir>/<name>.md` (the table, the picture's link, a stamp line) and `<name>.png`.

    Args:
        name: the benchmark's name, e.g. `"latency"` (one of `BENCHMARKS`), or `<benchmark>_<part>` for one
            of several results a benchmark writes (`"ablation_multi_strategy"`).
        markdown_table: the result as Markdown (see `markdown_table()`).
        figure: a matplotlib `Figure`, saved as `<name>.png`; none: no picture.
        out_dir: the folder the documentation includes results from.
        command: the command that produced the result, printed under the table.
        note: a line printed above the table (e.g. that a `--quick` run is not a measurement).

    Returns:
        The paths written, the Markdown file first.
    """
    from keras_audio_ssl.cpu_info import busy_note
    from keras_audio_ssl.cpu_info import machine_stamp
    from keras_audio_ssl.cpu_info import stamp_line

    if not any(name == b or name.startswith(b + "_") for b in BENCHMARKS):
        raise ValueError(f"Unknown benchmark name; known: {list(BENCHMARKS)}. Received: name={name!r}")
    os.makedirs(out_dir, exist_ok=True)
    parts = []
    if note:
        parts.append(f"**{note}**")
    parts.append(markdown_table.strip())
    written = []
    if figure is not None:
        png = os.path.join(out_dir, f"{name}.png")
        _replace(png, lambda tmp: figure.savefig(tmp, format="png", dpi=100))
        # Linked relative to a page in docs/, the folder that includes this file.
        parts.append(f"![{name}]({os.path.basename(os.path.normpath(out_dir))}/{name}.png)")
        written.append(png)
    machine = machine_stamp()  # at the run's end: the load average then beside the one at its start
    stamp = f"Generated {stamp_line(machine)}"
    if command:
        stamp += f"; by `{command}`"
    parts.append(f"<small>{stamp}.</small>")
    busy = busy_note(machine)
    if busy:
        parts.append(f"<small>{busy}</small>")
    md = os.path.join(out_dir, f"{name}.md")

    def write_md(tmp):
        with open(tmp, "w") as f:
            f.write("\n\n".join(parts) + "\n")

    _replace(md, write_md)
    print(f"wrote {md}" + (f" and {written[0]}" if written else ""), flush=True)
    return [md, *written]
