"""Process pools whose workers die with their parent.

`multiprocessing.Pool` workers outlive a parent that is killed (SIGKILL, OOM
killer, a closed terminal): a worker in the middle of a task finishes it, and
a long conversion job keeps writing for minutes after the user stopped it.
Each worker here exits as soon as its parent is gone: at once on Linux
(`PR_SET_PDEATHSIG`), else within a second (a thread polling the parent id).
"""

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time

_PR_SET_PDEATHSIG = 1
_POLL_SECONDS = 1.0


def worker_pool(num_workers, start_method="spawn"):
    """A `multiprocessing.Pool` of `num_workers` whose workers die with this process.

    spawn by default: forking a process that already runs TensorFlow threads can deadlock.
    """
    context = multiprocessing.get_context(start_method)
    return context.Pool(num_workers, initializer=die_with_parent, initargs=(os.getpid(),))


def die_with_parent(parent_pid):
    """Makes the calling process exit when `parent_pid` (its parent) ends. Pool initializer."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass  # the polling thread below still covers it
    if os.getppid() != parent_pid:  # the parent died before the signal was armed
        os._exit(1)

    def watch():
        while os.getppid() == parent_pid:
            time.sleep(_POLL_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="die-with-parent", daemon=True).start()
