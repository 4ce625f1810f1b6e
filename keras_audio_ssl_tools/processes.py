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


def worker_pool(num_workers, start_method="spawn", import_tensorflow=False):
    """A `multiprocessing.Pool` of `num_workers` whose workers die with this process.

    spawn by default: forking a process that already runs TensorFlow threads can deadlock.
    `import_tensorflow=True`: each worker imports TensorFlow up front without its C++
    start-up logs (`console.import_tensorflow_quietly`), instead of printing them per worker.
    """
    context = multiprocessing.get_context(start_method)
    return context.Pool(num_workers, initializer=_start_worker, initargs=(os.getpid(), import_tensorflow))


def _start_worker(parent_pid, import_tensorflow):
    die_with_parent(parent_pid)
    if import_tensorflow:
        from keras_audio_ssl.console import import_tensorflow_quietly

        import_tensorflow_quietly()


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
