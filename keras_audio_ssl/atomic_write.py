"""One writing discipline for every artefact: a temporary sibling, fsync, rename into place.

Every file the project writes (checkpoints, state, history, `.keras`, `.tflite`,
evaluation results, shards, tuning summaries) and every SavedModel version folder
is first written under a temporary sibling name that only this project uses,
`.kas-tmp-<pid>-<final name>` (the final name is kept as the suffix: Keras checks
`.weights.h5` / `.keras`), flushed to disk, then renamed over the final name. A
kill or a full disk at any moment therefore leaves either the previous artefact or
the new one, never a fragment; a SavedModel version appears only complete, so
TF Serving never loads a half-written one. A folder that replaces an older one
(a preset, a HEAR task folder) is swapped with it in one step (`replace_directory`).

Leftovers of a killed writer carry the reserved prefix and are the only names
`remove_leftovers` deletes (a user's `notes.tmp.txt` is never touched); one
whose process id is alive on this host belongs to a concurrent writer and is
kept.

A full disk (`ENOSPC`, TensorFlow's "No space left on device", h5py's errno 28)
becomes `NoSpaceLeftError`, an `OSError` whose message is one line naming the
path and saying "no space left". HDF5 cannot survive a failed write: the file
object it leaves open makes h5py print "Can't decrement id ref count" and the
interpreter segfault at exit (rc 139). So `save_with` checks, before Keras
writes a `.weights.h5`, that the disk has room for it (`weights_bytes`), and
refuses in one line when it does not.
"""

import contextlib
import errno
import os
import shutil

#: The reserved prefix of every temporary name the project writes.
TEMP_PREFIX = ".kas-tmp-"


class NoSpaceLeftError(OSError):
    """The disk holding `path` is full; the previous artefact at `path` (if any) is untouched."""

    def __init__(self, path, detail=""):
        self.path = os.fspath(path)
        self.message = f"no space left on the device to write {self.path}{detail}; the previous file, if any, is kept"
        super().__init__(errno.ENOSPC, self.message)

    def __str__(self):
        return self.message


def is_no_space(error):
    """Whether `error` (an OSError, TensorFlow's ResourceExhaustedError, h5py's errors) means a full disk."""
    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
        return True
    text = str(error)
    return "No space left on device" in text or "errno = 28" in text


def temporary_sibling(path):
    """`folder/.kas-tmp-<pid>-<name>` for `folder/<name>`: same filesystem, so the rename is atomic."""
    folder, name = os.path.split(os.path.abspath(os.fspath(path)))
    return os.path.join(folder, f"{TEMP_PREFIX}{os.getpid()}-{name}")


def fsync_dir(path):
    """Makes a rename in `path` durable (best effort: some filesystems refuse a directory fsync)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _fsync_tree(path):
    if os.path.isdir(path):
        for root, _, files in os.walk(path):
            for name in files:
                _fsync_file(os.path.join(root, name))
            fsync_dir(root)
    else:
        _fsync_file(path)


def _fsync_file(path):
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


def _remove(path):
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            os.remove(path)


@contextlib.contextmanager
def replacing(path, directory=False, overwrite=False):
    """Yields a temporary sibling of `path` to write; on success it is fsynced and renamed to `path`.

    On any error the temporary is removed and a full disk is raised as `NoSpaceLeftError`.
    With `directory=True` the temporary is a folder (created empty) and `path` must not exist
    (a SavedModel version is never overwritten) unless `overwrite=True`, which swaps a folder
    already there for the new one (`replace_directory`).
    """
    path = os.path.abspath(os.fspath(path))
    folder = os.path.dirname(path)
    tmp = temporary_sibling(path)
    _remove(tmp)  # a leftover of a killed process that had our pid
    try:
        if directory:
            os.makedirs(tmp)
        yield tmp
        _fsync_tree(tmp)
        if directory and overwrite:
            replace_directory(tmp, path)
        elif directory:
            if os.path.exists(path):
                raise FileExistsError(errno.EEXIST, f"{path} appeared while it was being written", path)
            os.rename(tmp, path)
        else:
            os.replace(tmp, path)
    except BaseException as error:
        _remove(tmp)
        if is_no_space(error):
            raise NoSpaceLeftError(path) from None
        raise
    fsync_dir(folder)


def replace_directory(new, target):
    """Puts folder `new` at `target`, replacing a folder already there, and deletes the old one.

    Linux swaps the two in one step (`renameat2(RENAME_EXCHANGE)`), so a reader or a
    kill sees the old folder or the new one at `target`, never neither. Elsewhere the
    old folder is first renamed aside, a moment in which `target` is missing.
    """
    new, target = os.path.abspath(os.fspath(new)), os.path.abspath(os.fspath(target))
    if not os.path.exists(target):
        os.rename(new, target)
    elif _exchange(new, target):
        _remove(new)  # now the old folder
    else:
        aside = temporary_sibling(target + ".old")
        _remove(aside)
        os.rename(target, aside)
        os.rename(new, target)
        _remove(aside)
    fsync_dir(os.path.dirname(target))


def _exchange(a, b):
    """Swaps paths `a` and `b` atomically (Linux renameat2); False where the system or filesystem cannot."""
    import ctypes

    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), b)


def write_bytes(path, data):
    with replacing(path) as tmp, open(tmp, "wb") as f:
        f.write(data)


def write_text(path, text):
    with replacing(path) as tmp, open(tmp, "w", newline="") as f:
        f.write(text)


def write_json(path, value, indent=2):
    import json

    write_text(path, json.dumps(value, indent=indent) + "\n")


def check_room(path, nbytes):
    """Raises `NoSpaceLeftError` when the disk that would hold `path` has fewer than `nbytes` free."""
    folder = os.path.dirname(os.path.abspath(os.fspath(path)))
    free = shutil.disk_usage(folder).free
    if free < nbytes:
        raise NoSpaceLeftError(path, f" (needs about {nbytes / 1e6:.1f} MB, {free / 1e6:.1f} MB free)")


def weights_bytes(model):
    """A generous upper bound of the size of `model.save_weights(...)`'s `.weights.h5` file.

    The variables' bytes (the optimizer's too: a method's checkpoint holds them) plus
    HDF5's per-dataset metadata (measured: < 2 kB per variable) and a fixed margin.
    """
    variables = list(getattr(model, "weights", []))
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and getattr(optimizer, "built", False):
        variables += list(optimizer.variables)
    total = 0
    for v in variables:
        size = 1
        for dim in v.shape:
            size *= int(dim)
        total += size * _itemsize(v.dtype)
    return int(total * 1.05) + 4096 * len(variables) + (256 << 10)


def _itemsize(dtype):
    import numpy as np

    try:
        return np.dtype(str(dtype)).itemsize
    except TypeError:
        return 4


def save_with(save_fn, path, model=None):
    """Calls `save_fn(temporary)` (Keras's `model.save` / `save_weights`) and renames the result to `path`.

    With `model` and a `.weights.h5` path, the disk's room is checked first (see the module docstring).
    """
    path = os.fspath(path)
    if model is not None and path.endswith(".h5"):
        check_room(path, weights_bytes(model))
    with replacing(path) as tmp:
        save_fn(tmp)


def remove_leftovers(folder, final_name=None):
    """Deletes the temporaries a killed writer left in `folder` (reserved prefix only; a live
    process's on this host are kept: they belong to a concurrent writer).

    With `final_name`, only the temporaries of that one artefact (a user's folder
    holding a `.tflite` may hold other runs' files).
    """
    if not os.path.isdir(folder):
        return
    for name in os.listdir(folder):
        if not name.startswith(TEMP_PREFIX):
            continue
        pid, _, target = name[len(TEMP_PREFIX):].partition("-")
        if final_name is not None and target != final_name:
            continue
        if pid.isdigit() and int(pid) != os.getpid() and pid_alive(int(pid)):
            continue
        _remove(os.path.join(folder, name))


def pid_alive(pid):
    """Whether process `pid` exists on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by another user
    return True
