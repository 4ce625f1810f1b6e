"""One writer per run directory: `<run>/.kas-run.lock` names the process that writes it.

Two `fit` calls on one output directory used to interleave their checkpoints
and kill each other ("No such file or directory: .../epoch_0002.tmp.weights.h5").
The lock is a file created with `O_EXCL` holding the writer's host, pid and
process start time. A second writer is refused in one line naming them; a lock
whose process is gone (same host, pid absent or reused by a younger process) is
stale: a killed run's lock is taken over without asking. A lock from another
host cannot be checked and is refused with the path to delete if that run is
dead. The same process may call `fit` again (a notebook re-running a cell after
an error). In a multi-process run only the chief writes the run directory, so
only it takes the lock.
"""

import contextlib
import functools
import json
import os
import socket

from keras_audio_ssl.atomic_write import pid_alive

LOCK_FILE = ".kas-run.lock"


class RunDirectoryLockedError(ValueError):
    """Another live process writes the run directory."""


def _start_time(pid):
    """The process's start time in clock ticks since boot (Linux), or None where unknown."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def _me():
    return {"host": socket.gethostname(), "pid": os.getpid(), "start_time": _start_time(os.getpid())}


def _is_stale(holder):
    if holder.get("host") != socket.gethostname():
        return False
    pid = holder.get("pid")
    if not isinstance(pid, int) or not pid_alive(pid):
        return True
    started = holder.get("start_time")
    return started is not None and _start_time(pid) not in (None, started)  # the pid now names another process


def _read(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def acquire(run_dir):
    """Takes the lock of `run_dir` (created if needed) or raises `RunDirectoryLockedError` naming the holder."""
    run_dir = os.fspath(run_dir)
    if os.path.exists(run_dir) and not os.path.isdir(run_dir):
        raise ValueError(f"output_dir is a file, not a run directory. Received: output_dir={run_dir}")
    os.makedirs(run_dir, exist_ok=True)
    path = os.path.join(run_dir, LOCK_FILE)
    me = _me()
    for _ in range(3):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            holder = _read(path)
            if holder is None:  # being written this instant, or a torn write of a killed process
                holder = {}
            if holder.get("host") == me["host"] and holder.get("pid") == me["pid"]:
                return path  # this process already holds it
            if holder and not _is_stale(holder):
                where = "this host" if holder.get("host") == me["host"] else f"host {holder.get('host')!r}"
                raise RunDirectoryLockedError(
                    f"Another process writes the run directory {run_dir}: pid {holder.get('pid')} on {where}. "
                    "Wait for it, or use another output_dir"
                    + ("" if holder.get("host") == me["host"] else f" (delete {path} if that process is gone)")
                    + f". Received: output_dir={run_dir}"
                )
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)  # stale: its process is gone
            continue
        with os.fdopen(fd, "w") as f:
            json.dump(me, f)
        return path
    raise RunDirectoryLockedError(f"Could not take the lock {path}: other processes keep taking it. "
                                  f"Received: output_dir={run_dir}")


def release(run_dir):
    path = os.path.join(os.fspath(run_dir), LOCK_FILE)
    holder = _read(path) or {}
    if holder.get("pid") == os.getpid() and holder.get("host") == socket.gethostname():
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)


def _is_chief_process():
    """Whether `TF_CONFIG` makes this process the writer of a multi-process run (True without a cluster)."""
    try:
        config = json.loads(os.environ.get("TF_CONFIG") or "{}")
    except ValueError:
        return True  # the run refuses the bad TF_CONFIG itself, naming it
    cluster, task = config.get("cluster", {}), config.get("task", {})
    if not cluster or not task:
        return True
    if "chief" in cluster:
        return task.get("type") == "chief"
    return task.get("type") == "worker" and int(task.get("index", 0)) == 0


def holding_run_lock(pretrain):
    """Decorates `pretrain(method, data, training, ...)`: `training.output_dir` is locked for the call."""

    @functools.wraps(pretrain)
    def locked(*args, **kwargs):
        training = kwargs["training"] if "training" in kwargs else (args[2] if len(args) > 2 else None)
        output_dir = getattr(training, "output_dir", None)
        if not isinstance(output_dir, (str, os.PathLike)) or not os.fspath(output_dir).strip() or \
                not _is_chief_process():
            return pretrain(*args, **kwargs)  # the settings check names a bad output_dir
        output_dir = os.path.abspath(os.fspath(output_dir))
        acquire(output_dir)
        try:
            return pretrain(*args, **kwargs)
        finally:
            release(output_dir)

    return locked

