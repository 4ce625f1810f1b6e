"""benchmarks/results.py and each benchmark's `write_docs`: generated tables and plots for the docs."""

import argparse
import os
import sys

import pandas as pd
import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "benchmarks"))

import ablation  # noqa: E402
import encoders as encoders_benchmark  # noqa: E402
import mixed_precision  # noqa: E402
import quality  # noqa: E402
import results  # noqa: E402
import scaling  # noqa: E402
import throughput  # noqa: E402

from keras_audio_ssl import cpu_info  # noqa: E402
from keras_audio_ssl.cpu_info import cpu_model  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _assert_written(folder, name, *cells):
    md = (folder / f"{name}.md").read_text()
    assert (folder / f"{name}.png").read_bytes()[:8] == PNG_MAGIC
    assert f"![{name}]({folder.name}/{name}.png)" in md
    assert cpu_model() in md and "logical cores" in md and "tensorflow" in md  # the machine stamp
    for cell in cells:
        assert cell in md, (cell, md)
    assert not [f for f in os.listdir(folder) if f.endswith(".tmp")]  # no temporary sibling left
    assert os.stat(folder / f"{name}.md").st_mode & 0o044 == 0o044 & ~_umask()  # readable as the umask allows
    return md


def test_markdown_table_escapes_pipes_and_keeps_the_order():
    text = results.markdown_table(["a", "b|c"], [(1, "x"), ("2.50", "y|z")])
    assert text.splitlines() == ["| a | b\\|c |", "|---|---|", "| 1 | x |", "| 2.50 | y\\|z |"]


def test_write_results_replaces_the_files_and_stamps_the_machine(tmp_path):
    out = tmp_path / "results"
    figure = results.new_figure()
    results.bar_chart(figure.add_subplot(), ["a", "b"], {"x": [1.0, None]}, "units")
    paths = results.write_results("latency", "| a |\n|---|\n| 1 |", figure, str(out), command="python x.py")
    assert paths == [str(out / "latency.md"), str(out / "latency.png")]
    first = _assert_written(out, "latency", "| 1 |", "by `python x.py`")
    results.write_results("latency", "| a |\n|---|\n| 2 |", None, str(out), note="not a measurement")
    again = (out / "latency.md").read_text()
    assert "| 2 |" in again and "| 1 |" not in again and first != again
    assert again.startswith("**not a measurement**") and "![latency]" not in again  # no figure this time
    with pytest.raises(ValueError, match="Received: name='speed'"):
        results.write_results("speed", "", None, str(out))


def test_write_results_keeps_the_old_file_when_the_figure_fails(tmp_path):
    results.write_results("scaling", "| old |", None, str(tmp_path))

    class Broken:
        def savefig(self, *args, **kwargs):
            raise OSError("disk full")

    with pytest.raises(OSError):
        results.write_results("scaling", "| new |", Broken(), str(tmp_path))
    assert "| old |" in (tmp_path / "scaling.md").read_text()
    assert sorted(os.listdir(tmp_path)) == ["scaling.md"]


def test_write_docs_flag_defaults_to_the_docs_folder():
    parser = argparse.ArgumentParser()
    results.add_write_docs_argument(parser)
    assert parser.parse_args([]).write_docs is None
    assert parser.parse_args(["--write-docs"]).write_docs == os.path.join("docs", "results")
    assert parser.parse_args(["--write-docs", "elsewhere"]).write_docs == "elsewhere"


def test_throughput_encoders_and_scaling_write_their_tables(tmp_path):
    rows = [dict(part="(a) input, wav folder", d="-", B=64, jit="-", rate=7000.0),
            dict(part="(c) train step", d=512, B=64, jit=False, rate=98.0, frac=0.66),
            dict(part="(d) end to end", d=512, B=64, jit=False, rate=None)]
    args = argparse.Namespace(encoder="audio_ntt2020", dtype_policy="float32", quick=False, write_docs=str(tmp_path))
    throughput.write_docs({"gemm_gflops": 205.0, "rows": rows}, args, ["--write-docs"])
    _assert_written(tmp_path, "throughput", "| (c) train step | 512 | 64 | False | 98.0 | 66.0 % |", "| failed |",
                    "`python benchmarks/throughput.py --write-docs`")

    measured = [dict(encoder="crnn", d=64, params=898432, step_gflop=4.6, step_rate=42.0, gflop_1s=0.6,
                     tflite_ms=7.0)]
    args = argparse.Namespace(quick=True, write_docs=str(tmp_path))
    encoders_benchmark.write_docs(measured, 200.0, 100.0, 64, args, [])
    # 42 clips/s x 4.6 GFLOP / 200 GFLOP/s; 0.6 GFLOP / 7 ms / 100 GFLOP/s.
    _assert_written(tmp_path, "encoders", "| crnn | 64 | 898,432 | 4.60 | 42.0 | 96.6 % | 0.600 | 7.00 | 85.7 % |",
                    "not a measurement")

    one = dict(replicas=1, global_batch=8, clips_per_s=80.0, step_ms=100.0, collective_ms=0.0, device="CPU")
    two = dict(one, replicas=2, clips_per_s=60.0, collective_ms=5.0)
    args = argparse.Namespace(feature_d=64, global_batch=8, gpu_tflops=20.0, allreduce_gbps=50.0, cores_per_gpu=12,
                              storage_gbps=5.0, quick=False, write_docs=str(tmp_path))
    scaling.write_docs([one], [one, two], [(8, 0.5, 0.9, "storage")], args, [])
    _assert_written(tmp_path, "scaling", "| 2 | 60.0 | 0.75x | 5.00 | 5.0 % |", "| 8 | 30.0 | 50.0 | 90.0 % | storage |")


def test_mixed_precision_writes_the_ratio_and_the_loss_tables(tmp_path):
    times = {("(c) train step", 16): {"float32": [0.2, 0.2], "mixed_bfloat16": [0.1, 0.1]}}
    curves = {"float32": ([1.5, 1.2], 3.0), "mixed_bfloat16": ([1.5, 1.1], 2.0)}
    args = argparse.Namespace(policies=["float32", "mixed_bfloat16"], batch_size=8, cycles=2, jit_compile="off",
                              loss_feature_d=16, clips=16, write_docs=str(tmp_path))
    mixed_precision.write_docs(times, curves, args, [])
    _assert_written(tmp_path, "mixed_precision", "| (c) train step | 16 | 8 | mixed_bfloat16 | 80.0 (80.0-80.0) | "
                    "2.00 (2.00-2.00) |", "| 2 | 1.2000 | 1.1000 |")


def test_quality_and_ablation_plot_scores_against_minutes(tmp_path):
    table = pd.DataFrame([{"task": "average", "metric": "mean", "byol-a": 0.6, "byol-a ±": 0.01, "random": 0.5,
                           "random ±": 0.02, "margin": 0.1}])
    result = {"table": table, "minutes": {"byol-a": 3.0}, "baselines": {"byol-a": "random"},
              "budget_line": "Budget: tiny.", "markdown": "| task | byol-a |\n|---|---|\n| average | 0.6000 |"}
    quality.write_docs(result, str(tmp_path), command="python benchmarks/quality.py --quick", quick=True)
    _assert_written(tmp_path, "quality", "Budget: tiny.", "| average | 0.6000 |", "not a measurement")

    rows = pd.DataFrame([{"variant": "default", "changes": "-", "epochs": 2, "minutes": 0.5, "tones": 0.7,
                          "average": 0.7, "± 95 %": 0.01, "random": 0.6, "margin": 0.1, "vs default": 0.0,
                          "worst task vs random": 0.1}])
    rows.attrs["budget_line"] = "Budget: two epochs."
    ablation.write_docs(rows, str(tmp_path), command="python benchmarks/ablation.py")
    _assert_written(tmp_path, "ablation", "Budget: two epochs.", "default")


def test_a_busy_machine_is_named_under_the_table(tmp_path, monkeypatch):
    cores = os.cpu_count() or 1

    def run(others_share):
        # A 10-s run during which other processes kept `others_share` of the cores busy (this one: 0 s).
        readings = [(0.0, 0.0, 0.0), (10.0, 10.0 * others_share * cores, 0.0)]
        monkeypatch.setattr(cpu_info, "_start", {})  # this run starts now
        monkeypatch.setattr(cpu_info, "_cpu_reading", lambda: readings.pop(0) if len(readings) > 1 else readings[0])
        cpu_info.stamp_line()  # the benchmark's first line, at its start
        results.write_results("latency", "| a |", None, str(tmp_path))
        return (tmp_path / "latency.md").read_text()

    monkeypatch.setattr(os, "getloadavg", lambda: (2.0 * cores, 0.0, 0.0))  # the lagging load says busy
    text = run(0.9)
    assert f"other processes used {0.9 * cores:.1f} cores on average during the run" in text
    assert f"busy while this ran (other processes used {0.9 * cores:.1f} of {cores} logical cores)" in text
    assert "busy" not in run(0.1)  # measured: others used little, whatever the load average said


def test_write_results_takes_a_benchmark_or_one_of_its_parts_and_refuses_other_names(tmp_path):
    assert results.write_results("ablation_multi_strategy", "| a |\n|---|\n| 1 |", out_dir=str(tmp_path))
    with pytest.raises(ValueError, match="name='ablations'"):
        results.write_results("ablations", "| a |", out_dir=str(tmp_path))
