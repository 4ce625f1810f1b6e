"""The machine description that stamps benchmarks and chooses bfloat16."""

import subprocess
import sys
import time

from keras_audio_ssl import cpu_info

ZEN3 = frozenset({"sse4_2", "avx", "avx2", "fma"})
ZEN4 = ZEN3 | {"avx512f", "avx512bw", "avx512_bf16"}
SAPPHIRE_RAPIDS = ZEN3 | {"avx512f", "avx512bw", "amx_tile", "amx_bf16", "amx_int8"}


def test_isa_summary_names_each_cpu_kind():
    assert cpu_info.isa_summary(ZEN3) == "AVX2"
    assert cpu_info.isa_summary(ZEN4) == "AVX2 AVX-512 AVX512_BF16"
    assert cpu_info.isa_summary(SAPPHIRE_RAPIDS) == "AVX2 AVX-512 AMX-BF16 AMX"
    assert cpu_info.isa_summary(frozenset()) == "no AVX2"


def test_native_bfloat16_only_with_avx512_bf16_or_amx():
    assert not cpu_info.has_native_bfloat16(ZEN3)
    assert cpu_info.has_native_bfloat16(ZEN4)
    assert cpu_info.has_native_bfloat16(SAPPHIRE_RAPIDS)


def test_stamp_line_names_date_cpu_cores_and_versions():
    stamp = cpu_info.machine_stamp()
    line = cpu_info.stamp_line(stamp)
    assert stamp["cpu"] in line and stamp["isa"] in line
    assert f"{stamp['cores']} logical cores" in line
    assert "tensorflow" in stamp["versions"] and f"tensorflow {stamp['versions']['tensorflow']}" in line


def test_stamp_line_says_when_onednn_is_held_to_a_smaller_isa(monkeypatch):
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)
    assert "ONEDNN_MAX_CPU_ISA" not in cpu_info.stamp_line()
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2")
    stamp = cpu_info.machine_stamp()
    assert stamp["onednn_max_isa"] == "AVX2"
    assert "oneDNN held to AVX2 by ONEDNN_MAX_CPU_ISA (an emulation" in cpu_info.stamp_line(stamp)


def test_stamp_carries_the_load_average_at_start_and_at_end(monkeypatch):
    monkeypatch.setattr(cpu_info, "_start", {})  # a new run
    monkeypatch.setattr(cpu_info.os, "getloadavg", lambda: (0.5, 9.0, 9.0))
    first = cpu_info.machine_stamp()
    assert (first["load_start"], first["load_end"]) == (0.5, None)
    assert cpu_info.stamp_line(first).endswith("; 1-min load average 0.5 at start")
    monkeypatch.setattr(cpu_info.os, "getloadavg", lambda: (7.25, 0.0, 0.0))
    last = cpu_info.machine_stamp()
    assert (last["load_start"], last["load_end"]) == (0.5, 7.25)
    assert "; 1-min load average 0.5 at start, 7.2 at end" in cpu_info.stamp_line(last)


def test_busy_note_when_others_load_the_machine_at_start_or_beyond_the_run_itself_at_end():
    # 4 cores: more than 2.0 at start is someone else's; at end the run may hold all 4 itself, so above 6.0.
    quiet = {"cores": 4, "load_start": 1.0, "load_end": 4.0}
    assert cpu_info.busy_note(quiet) is None
    assert cpu_info.busy_note(dict(quiet, load_end=6.0)) is None
    assert "load average 2.5 of 4 logical cores" in cpu_info.busy_note(dict(quiet, load_start=2.5))
    assert "load average 6.5 of 4 logical cores" in cpu_info.busy_note(dict(quiet, load_end=6.5))
    assert cpu_info.busy_note({"cores": 4, "load_start": None, "load_end": None}) is None
    # Where the other processes' CPU time was measured, it decides, whatever the lagging load average says.
    assert cpu_info.busy_note(dict(quiet, load_start=3.0, load_end=8.0, others_cores=0.3)) is None
    assert "other processes used 2.5 of 4" in cpu_info.busy_note(dict(quiet, others_cores=2.5))


def test_others_cores_counts_another_process_and_not_this_one():
    def spin(seconds):
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            pass

    start = cpu_info._cpu_reading()
    spin(1.5)  # this process busy: not someone else's
    alone = cpu_info._others_cores(start, cpu_info._cpu_reading())
    start = cpu_info._cpu_reading()
    # A process this one does not wait for while measuring counts as another's: one core for ~1.5 s.
    other = subprocess.Popen([sys.executable, "-c", "import time\nend = time.time() + 1.5\nwhile time.time() < end: pass"])
    time.sleep(1.6)
    beside = cpu_info._others_cores(start, cpu_info._cpu_reading())
    other.wait()
    # Generous bounds: the machine's other tenants (e.g. another test worker) add to both readings.
    assert beside > alone + 0.5, (alone, beside)


def test_stamp_line_names_blas_instruction_caps(monkeypatch):
    monkeypatch.setenv("MKL_ENABLE_INSTRUCTIONS", "AVX2")
    monkeypatch.delenv("OPENBLAS_CORETYPE", raising=False)
    assert cpu_info.stamp_line().endswith("; BLAS held by MKL_ENABLE_INSTRUCTIONS=AVX2")
    monkeypatch.delenv("MKL_ENABLE_INSTRUCTIONS")
    assert "BLAS held" not in cpu_info.stamp_line()
