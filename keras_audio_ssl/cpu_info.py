"""What machine this is: CPU model, the instruction sets that decide our speed, cores, versions.

The one owner of that description. `benchmarks/` stamp every table with `machine_stamp()`
so figures from different CPU kinds are never compared by accident, and
`precision` reads `has_native_bfloat16()` to choose a dtype policy. The CPU kinds this
project meets differ exactly in these flags: AMD Zen 3 (AVX2 only), AMD Zen 4
(AVX-512 + AVX512_BF16) and Intel Xeon (AVX-512 + AMX).

Nothing here imports TensorFlow at module import: the TF-free tools use it too.
"""

import datetime
import functools
import importlib.metadata
import os
import platform
import sys

# /proc/cpuinfo flag -> the name people know it by, in the order they are printed.
_ISA_FLAGS = (
    ("avx2", "AVX2"),
    ("avx512f", "AVX-512"),
    ("avx512_bf16", "AVX512_BF16"),
    ("amx_bf16", "AMX-BF16"),
    ("amx_tile", "AMX"),
)
_VERSIONED = ("tensorflow", "keras", "numpy", "ai-edge-litert")


def _cpuinfo_field(name):
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip().lower() == name:
                    return value.strip()
    except OSError:
        pass
    return None


def cpu_model():
    """The CPU's model name (Linux /proc/cpuinfo), or the platform's processor string."""
    return _cpuinfo_field("model name") or platform.processor() or "unknown CPU"


@functools.lru_cache(maxsize=None)
def cpu_flags():
    """The CPU's feature flags as a frozenset of /proc/cpuinfo names (empty where unknown)."""
    return frozenset((_cpuinfo_field("flags") or "").split())


def isa_summary(flags=None):
    """The instruction sets that matter here, e.g. ``"AVX2 AVX-512 AVX512_BF16"``; ``"no AVX2"`` if none."""
    flags = cpu_flags() if flags is None else flags
    names = [label for flag, label in _ISA_FLAGS if flag in flags]
    return " ".join(names) or "no AVX2"


def has_native_bfloat16(flags=None):
    """True where the CPU computes bfloat16 natively (AVX512_BF16 or AMX-BF16).

    Elsewhere (AVX2-only CPUs such as AMD Zen 3) oneDNN emulates bfloat16 and a bf16 step
    runs several times slower than float32.
    """
    flags = cpu_flags() if flags is None else flags
    return "avx512_bf16" in flags or "amx_bf16" in flags


def library_versions():
    """Installed versions of the libraries whose speed or numbers a figure depends on."""
    versions = {"python": platform.python_version()}
    for name in _VERSIONED:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


def machine_stamp():
    """A dict naming date, CPU model, instruction sets, logical cores, library versions and any
    `ONEDNN_MAX_CPU_ISA` cap."""
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu_model(),
        "isa": isa_summary(),
        "cores": os.cpu_count(),
        "platform": f"{platform.system()} {platform.machine()}",
        "versions": library_versions(),
        # oneDNN held to a smaller instruction set: figures then emulate another CPU kind's kernels
        # (same caches and memory), so the stamp must say so.
        "onednn_max_isa": os.environ.get("ONEDNN_MAX_CPU_ISA") or None,
    }


def stamp_line(stamp=None):
    """`machine_stamp()` as one line, for the top of every benchmark output and table."""
    stamp = machine_stamp() if stamp is None else stamp
    versions = ", ".join(f"{k} {v}" for k, v in stamp["versions"].items())
    line = f"{stamp['date']}; {stamp['cpu']} ({stamp['isa']}), {stamp['cores']} logical cores; {versions}"
    if stamp.get("onednn_max_isa"):
        line += (f"; oneDNN held to {stamp['onednn_max_isa']} by ONEDNN_MAX_CPU_ISA (an emulation of that "
                 "CPU kind's kernels on this CPU, not that CPU)")
    return line


if __name__ == "__main__":
    sys.stdout.write(stamp_line() + "\n")
