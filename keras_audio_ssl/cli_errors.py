"""How every command line fails: one `error: ...` line naming the file or argument, never a traceback.

`one_line_errors(main)` wraps an entry point's `main(argv) -> int`: a user error
(a bad value, a path that is missing, a file where a folder belongs, a damaged
model or manifest) prints `error: <message>` and exits 2; a full disk prints the
path and "no space left" and exits 1 (not the user's argument, but not a crash
either). Programming errors still raise, so bugs keep their traceback.

`positive_int`, `positive_float`, `finite_float` and `fraction` are argparse
types: NaN, infinities and zero are refused where they mean nothing, with the
argument named by argparse itself (`argument --epochs: ...`, exit 2).
"""

import argparse
import functools
import math
import sys

from keras_audio_ssl.atomic_write import NoSpaceLeftError
from keras_audio_ssl.atomic_write import is_no_space

#: What a user's input can raise, deep inside the library: reported in one line.
USER_ERRORS = (ValueError, OSError, KeyError, TypeError, UnicodeError, EOFError)


def first_line(error):
    text = str(error).strip() or type(error).__name__
    if isinstance(error, KeyError) and error.args:
        text = f"missing entry {error.args[0]!r}"
    if isinstance(error, OSError) and error.filename is not None and str(error.filename) not in text:
        text = f"{text}: {error.filename}"
    return text.splitlines()[0]


def report(error):
    """Prints the one line for `error` and returns the exit code."""
    if is_no_space(error):
        message = str(error) if isinstance(error, NoSpaceLeftError) else f"no space left on the device ({first_line(error)})"
        print(f"error: {message.splitlines()[0]}", file=sys.stderr, flush=True)
        return 1
    print(f"error: {first_line(error)}", file=sys.stderr, flush=True)
    return 2


def one_line_errors(main):
    """Decorates `main(argv=None) -> int` so user errors end in one line and exit 2 (see the module docstring)."""

    @functools.wraps(main)
    def wrapped(*args, **kwargs):
        try:
            return main(*args, **kwargs)
        except USER_ERRORS as error:
            return report(error)
        except Exception as error:  # TensorFlow's errors are not OSErrors; a full disk is reported, the rest raises
            if is_no_space(error):
                return report(error)
            raise

    return wrapped


def _number(text, kind, check, what):
    try:
        value = kind(text)
    except ValueError:
        value = None
    if value is None or not check(value):
        raise argparse.ArgumentTypeError(f"expected {what}. Received: {text!r}")
    return value


def positive_int(text):
    return _number(text, int, lambda v: v > 0, "a positive integer")


def positive_float(text):
    return _number(text, float, lambda v: math.isfinite(v) and v > 0, "a positive finite number")


def finite_float(text):
    return _number(text, float, math.isfinite, "a finite number")


def fraction(text):
    return _number(text, float, lambda v: 0 <= v <= 1, "a number in [0, 1]")
