"""The documentation site builds with --strict, and README.md and docs/ hold no typed benchmark figure."""

import glob
import os
import re
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "benchmarks"))

import results  # noqa: E402

README_COMMANDS = (
    "bash tools/setup.sh && .venv/bin/python -m keras_audio_ssl.demo",
    "bash tools/setup.sh && .venv/bin/python -m pytest -q -n 2 --dist loadfile",
)


def _written_pages():
    """README.md and every page of docs/ except the generated results."""
    pages = [os.path.join(REPO, "README.md")]
    pages += [p for p in glob.glob(os.path.join(REPO, "docs", "**", "*.md"), recursive=True)
              if os.sep + "results" + os.sep not in p]
    return {os.path.relpath(p, REPO): open(p).read() for p in pages}


def test_mkdocs_build_strict_passes(tmp_path):
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocstrings")
    site = tmp_path / "site"
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)], cwd=REPO,
                          capture_output=True, text=True, timeout=600, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert proc.returncode == 0, proc.stderr[-4000:]
    # A method page with its picture, and an API page generated from a docstring.
    byola = (site / "methods" / "byola" / "index.html").read_text()
    assert "views_byola.png" in byola and (site / "images" / "views_byola.png").exists()
    api = (site / "api" / "recipes" / "index.html").read_text()
    assert "Pretrains BYOL-A" in api or "fit" in api


def test_readme_is_a_front_page_with_the_two_commands():
    text = open(os.path.join(REPO, "README.md")).read()
    assert len(text.splitlines()) <= 200
    for command in README_COMMANDS:
        assert command in text


def test_every_benchmark_result_is_included_with_the_command_that_writes_it():
    pages = "\n".join(_written_pages().values())
    for name in results.BENCHMARKS:
        assert f'--8<-- "results/{name}.md"' in pages, name
        assert re.search(rf"python benchmarks/{name}\.py [^`\n]*--write-docs", pages), name


def test_no_benchmark_figure_is_typed_by_hand():
    # Measured quantities written as numbers: rates, times, sizes, scores with a spread, ratios.
    measured = re.compile(r"\d[\d.,]*\s?(clips/s|GFLOP/s|samples/s|ms per|MB\b|MiB\b|min per epoch)"
                          r"|\d\.\d{2,}\s?±|\b0\.\d{3}\b|\d+(\.\d+)?\s?% of (the )?(GEMM|one core)|\d\.\d+×")
    found = [(page, m.group(0)) for page, text in _written_pages().items() for m in measured.finditer(text)
             if "≥" not in text[max(0, m.start() - 2):m.start()]]  # "≥ 60 % of the GEMM peak" is a target
    assert not found, found


def test_the_encoders_page_lists_exactly_the_registered_encoders():
    from keras_audio_ssl import encoders

    text = open(os.path.join(REPO, "docs", "encoders.md")).read()
    listed = re.findall(r"^\| `(\w+)` \|", text, flags=re.M)
    assert sorted(listed) == sorted(encoders.names())
