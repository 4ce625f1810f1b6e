"""Console output of the command lines: TensorFlow's C++ start-up logs hidden; progress as lines in logs.

Importing TensorFlow 2.21 writes a screen of absl/C++ lines to stderr before
absl logging is initialised (oneDNN notices, "Could not find cuda drivers",
and on a machine without a GPU an error-level `E0000 ... failed call to cuInit`
that reads like a failure). `TF_CPP_MIN_LOG_LEVEL` does not reach the lines
written before absl is initialised, so `import keras_audio_ssl` (the first
thing every command line, tool and notebook of the garden does, and which
imports TensorFlow) imports it once through `import_tensorflow_quietly()`, with
the process's stderr pointed at a temporary file, and initialises the devices
there (where cuInit runs). What was captured is printed if the import fails;
`KAS_VERBOSE=1` skips the capture and shows everything. A process that imported
TensorFlow before the package keeps the logging it chose.
"""

import contextlib
import os
import sys
import tempfile

VERBOSE_ENV = "KAS_VERBOSE"


def verbose_requested():
    """Whether the user asked to see TensorFlow's start-up logs (`KAS_VERBOSE=1`)."""
    return os.environ.get(VERBOSE_ENV, "") not in ("", "0")


def import_tensorflow_quietly():
    """Imports TensorFlow (and initialises its devices) with its C++ start-up logs hidden.

    A no-op when TensorFlow is already imported or the user asked for the logs.
    Later C++ INFO/WARNING lines are filtered with `TF_CPP_MIN_LOG_LEVEL=2`
    unless the user set that variable.
    """
    if "tensorflow" in sys.modules or verbose_requested():
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with captured_stderr():
        import tensorflow as tf

        tf.config.list_physical_devices()  # cuInit runs here, and logs its expected failure on CPU


@contextlib.contextmanager
def captured_stderr():
    """Points the process's stderr (fd 2, where C++ logs go) at a temporary file for the block.

    What was captured is written out if the block raises, and always with `KAS_VERBOSE=1`.
    """
    if verbose_requested():
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            capture.seek(0)
            sys.stderr.write(capture.read().decode("utf-8", errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


class LineProgress:
    """A progress display that writes whole lines: about `lines` of them over the job, plus the last.

    What `progress_bar` gives when stderr is not a terminal (a log file, CI, nohup): a tqdm bar
    there writes one carriage-return redraw per update into a single line.
    """

    def __init__(self, total, desc, unit, lines=10, stream=None):
        self.total, self.desc, self.unit = total, desc, unit
        self.stream = stream or sys.stderr
        self.every = max(1, -(-total // lines)) if total else 1
        self.count = 0

    def update(self, n=1):
        before, self.count = self.count, self.count + n
        if self.count // self.every > before // self.every or self.count == self.total:
            print(f"{self.desc}: {self.count}/{self.total} {self.unit}s", file=self.stream, flush=True)

    def close(self):
        pass


def progress_bar(iterable=None, *, total, desc, unit):
    """A tqdm bar on a terminal, whole-line progress otherwise; wraps `iterable` when given."""
    if sys.stderr.isatty():
        from tqdm.auto import tqdm

        return tqdm(iterable, total=total, desc=desc, unit=unit)
    bar = LineProgress(total, desc, unit)
    if iterable is None:
        return bar

    def counted():
        for item in iterable:
            yield item
            bar.update()

    return counted()
