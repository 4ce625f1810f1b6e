"""What machine this is: CPU model, the instruction sets that decide our speed, cores, versions, load.

The one owner of that description. `benchmarks/` stamp every table with `machine_stamp()`
so figures from different CPU kinds are never compared by accident, and
`precision` reads `has_native_bfloat16()` to choose a dtype policy. The CPU kinds this
project meets differ exactly in these flags: AMD Zen 3 (AVX2 only), AMD Zen 4
(AVX-512 + AVX512_BF16) and Intel Xeon (AVX-512 + AMX).

The stamp also carries the machine's 1-minute load average when the run started (the first
`machine_stamp()` of the process, which every benchmark prints before it measures) and, when the
stamp is taken again at the end (the generated tables'), how many cores other processes used on
average in between (the machine's CPU time from /proc/stat less this process's and its children's):
a figure taken on a shared machine then says so. The load average alone cannot tell: it lags a
minute behind (a benchmark started right after another one inherits its load) and counts the run's
own threads.

Nothing here imports TensorFlow at module import: the TF-free tools use it too.
"""

import datetime
import functools
import importlib.metadata
import os
import platform
import sys
import time

# /proc/cpuinfo flag -> the name people know it by, in the order they are printed.
_ISA_FLAGS = (
    ("avx2", "AVX2"),
    ("avx512f", "AVX-512"),
    ("avx512_bf16", "AVX512_BF16"),
    ("amx_bf16", "AMX-BF16"),
    ("amx_tile", "AMX"),
)
_VERSIONED = ("tensorflow", "keras", "numpy", "ai-edge-litert")
# Settings that hold the BLAS libraries (MKL under torch, OpenBLAS under numpy) to a smaller instruction
# set, beside oneDNN's ONEDNN_MAX_CPU_ISA: together they emulate another CPU kind's GEMM peak too.
_BLAS_CAPS = ("MKL_ENABLE_INSTRUCTIONS", "OPENBLAS_CORETYPE")
# Other processes keeping more than this share of the logical cores busy (or, unmeasured, a load average
# above it at the start): other work took a visible part of the machine.
BUSY_LOAD_PER_CORE = 0.5

_start = {}  # at this process's first machine_stamp(): {"load": its load average, "cpu": its `_cpu_reading()`}


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


def load_average():
    """The 1-minute load average (runnable processes, Unix), or None where the platform has none."""
    try:
        return float(os.getloadavg()[0])
    except (AttributeError, OSError):
        return None


def _busy_cpu_seconds():
    """CPU seconds every core of the machine spent busy since boot (Linux /proc/stat), or None."""
    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()
    except OSError:
        return None
    if not fields or fields[0] != "cpu" or len(fields) < 8:
        return None
    user, nice, system, _idle, _iowait, irq, softirq = (int(v) for v in fields[1:8])
    steal = int(fields[8]) if len(fields) > 8 else 0
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _own_cpu_seconds():
    """CPU seconds of this process and of its children it has waited for."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _others_cores(start, now):
    """Cores other processes kept busy on average between two `(wall, machine busy, own)` readings."""
    if start[1] is None or now[1] is None or now[0] - start[0] < 1.0:
        return None
    others = (now[1] - start[1]) - (now[2] - start[2])
    return max(0.0, others / (now[0] - start[0]))


def _cpu_reading():
    return time.monotonic(), _busy_cpu_seconds(), _own_cpu_seconds()


def machine_stamp():
    """A dict naming date, CPU model, instruction sets, logical cores, library versions, any
    `ONEDNN_MAX_CPU_ISA` cap, the 1-minute load average at the run's start (this process's first
    call) and, on later calls, at the end (now), and then `others_cores`: the cores other processes
    used on average since the first call (None where /proc/stat is missing)."""
    load = load_average()
    first = "load" not in _start
    _start.setdefault("load", load)
    _start.setdefault("cpu", _cpu_reading())
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
        "blas_caps": {name: os.environ[name] for name in _BLAS_CAPS if os.environ.get(name)},
        "load_start": _start["load"],
        "load_end": None if first else load,
        "others_cores": None if first else _others_cores(_start["cpu"], _cpu_reading()),
    }


def busy_note(stamp):
    """A warning when other work shared the machine, else None: other processes used more than
    `BUSY_LOAD_PER_CORE` of the cores on average during the run (`others_cores`); where that was not
    measured, the load average at start above that share of the cores, or at end above the cores plus
    that share (the run itself may keep every core busy)."""
    cores = stamp.get("cores") or 1
    others = stamp.get("others_cores")
    if others is not None:
        busy = [others] if others > BUSY_LOAD_PER_CORE * cores else []
        what = "other processes used {:.1f}"
    else:
        start, end = stamp.get("load_start"), stamp.get("load_end")
        busy = [load for load, limit in ((start, BUSY_LOAD_PER_CORE * cores), (end, (1 + BUSY_LOAD_PER_CORE) * cores))
                if load is not None and load > limit]
        what = "load average {:.1f}"
    if not busy:
        return None
    return (f"The machine was busy while this ran ({what.format(max(busy))} of {cores} logical cores): "
            "rates are disturbed, read ratios measured in one run.")


def _load_text(stamp):
    start, end = stamp.get("load_start"), stamp.get("load_end")
    if start is None:
        return ""
    if end is None:
        return f"; 1-min load average {start:.1f} at start"
    text = f"; 1-min load average {start:.1f} at start, {end:.1f} at end"
    if stamp.get("others_cores") is not None:
        text += f"; other processes used {stamp['others_cores']:.1f} cores on average during the run"
    return text


def stamp_line(stamp=None):
    """`machine_stamp()` as one line, for the top of every benchmark output and table."""
    stamp = machine_stamp() if stamp is None else stamp
    versions = ", ".join(f"{k} {v}" for k, v in stamp["versions"].items())
    line = f"{stamp['date']}; {stamp['cpu']} ({stamp['isa']}), {stamp['cores']} logical cores; {versions}"
    line += _load_text(stamp)
    if stamp.get("onednn_max_isa"):
        line += (f"; oneDNN held to {stamp['onednn_max_isa']} by ONEDNN_MAX_CPU_ISA (an emulation of that "
                 "CPU kind's kernels on this CPU, not that CPU)")
    if stamp.get("blas_caps"):
        line += "; BLAS held by " + ", ".join(f"{k}={v}" for k, v in stamp["blas_caps"].items())
    return line


if __name__ == "__main__":
    sys.stdout.write(stamp_line() + "\n")
