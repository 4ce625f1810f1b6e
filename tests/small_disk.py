"""A small tmpfs for disk-full tests (mounting needs root; the tests skip with the reason otherwise)."""

import contextlib
import os
import shutil
import subprocess

import pytest


@contextlib.contextmanager
def small_disk(folder, megabytes=3):
    """Mounts a `megabytes` tmpfs at `folder` for the block, or skips the test saying why it cannot."""
    folder = os.fspath(folder)
    os.makedirs(folder, exist_ok=True)
    if shutil.which("mount") is None:
        pytest.skip("no `mount` command: cannot make a small disk to fill")
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={megabytes}m", "tmpfs", folder],
                            capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a {megabytes} MB tmpfs here (needs root): {result.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", folder], capture_output=True)


def fill(folder, leave_bytes=0):
    """Fills the disk holding `folder` until at most `leave_bytes` are free; returns the filler's path."""
    path = os.path.join(folder, "filler.bin")
    free = shutil.disk_usage(folder).free
    with open(path, "wb") as f:
        try:
            f.write(b"\0" * max(0, free - leave_bytes))
            f.flush()
        except OSError:
            pass  # tmpfs rounds to pages: "full" is the point
    return path
