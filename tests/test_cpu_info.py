"""The machine description that stamps benchmarks and chooses bfloat16."""

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
