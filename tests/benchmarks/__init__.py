import re

# `cpu_info.stamp_line()`: every benchmark's output starts with it.
STAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC; .+ \((AVX2|no AVX2).*\), \d+ logical cores; python ")


def starts_with_the_machine_stamp(out):
    """True when the first printed line is the machine stamp."""
    return bool(out.strip()) and STAMP.match(out.strip().splitlines()[0]) is not None
