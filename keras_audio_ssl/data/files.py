"""Listing audio files: folder scans and CSV manifests."""

import logging
import os

logger = logging.getLogger(__name__)

# Extensions libsndfile (bundled with the soundfile wheel, >= 1.1) decodes.
AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".mp3", ".aiff", ".aif", ".au", ".w64", ".rf64", ".caf")

MANIFEST_COLUMNS = ("path", "label", "split", "fold")

# Rows held in memory at a time when a large input is streamed (about 10 MB of paths and labels).
DEFAULT_CHUNK_ROWS = 1 << 15


def find_audio_files(folder, extensions=None, recursive=True):
    """Lists the audio files under a folder, sorted.

    Args:
        folder: directory to scan.
        extensions: iterable of extensions to keep, with or without the leading
            dot, case-insensitive. Defaults to `AUDIO_EXTENSIONS`.
        recursive: scan sub-folders too.

    Returns:
        Sorted list of file paths (strings).

    Example:
    >>> paths = find_audio_files("corpus/", extensions=["wav", "flac"])
    """
    return list(iter_audio_files(folder, extensions=extensions, recursive=recursive))


def iter_audio_files(folder, extensions=None, recursive=True):
    """Yields the audio files under a folder in sorted order (as `find_audio_files` lists them).

    One directory's listing is held at a time, not the whole tree's: sorting each
    listing with directories keyed `name + "/"` gives the order of the sorted full
    paths, since every path below a directory starts with that key.
    """
    folder = os.fspath(folder)
    if not os.path.isdir(folder):
        raise ValueError(f"`folder` must be an existing directory. Received: folder={folder!r}")
    if extensions is None:
        extensions = AUDIO_EXTENSIONS
    if isinstance(extensions, str):
        extensions = [extensions]
    wanted = tuple("." + e.lower().lstrip(".") for e in extensions)
    if not wanted:
        raise ValueError(f"`extensions` must not be empty. Received: extensions={extensions!r}")
    yield from _walk_sorted(folder, wanted, recursive, seen=set())


def _walk_sorted(folder, wanted, recursive, seen):
    real = os.path.realpath(folder)
    if real in seen:  # a symlink cycle: this folder was already scanned
        return
    seen.add(real)
    keys = []
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                try:
                    if recursive and entry.is_dir():  # follows symlinks, like os.walk(followlinks=True)
                        keys.append(entry.name + "/")
                    # Recursive scans list every other entry, as os.walk did: a broken link is then
                    # reported by the file check instead of silently left out.
                    elif entry.name.lower().endswith(wanted) and (recursive or entry.is_file()):
                        keys.append(entry.name)
                except OSError:  # a symlink loop: listed, so the file check names and counts it
                    if entry.name.lower().endswith(wanted):
                        keys.append(entry.name)
    except OSError:  # an unreadable sub-folder is skipped, as os.walk does
        return
    for key in sorted(keys):
        if key.endswith("/"):
            yield from _walk_sorted(os.path.join(folder, key[:-1]), wanted, recursive, seen)
        else:
            yield os.path.join(folder, key)


def _read_csv(csv_path, **kwargs):
    """`pandas.read_csv`, with a manifest that is not UTF-8 text (UTF-16 from a spreadsheet) named."""
    import pandas as pd

    try:
        return pd.read_csv(csv_path, **kwargs)
    except UnicodeDecodeError as e:
        raise ValueError(f"Manifest {csv_path} is not UTF-8 text ({e.reason} at byte {e.start}); save it as "
                         f"UTF-8. Received: csv_path={csv_path}") from None


def read_manifest(csv_path, on_missing="raise"):
    """Reads a CSV manifest `path[,label][,split][,fold]`.

    Relative paths are resolved against the CSV's folder, so a manifest and its
    audio can move together.

    Args:
        csv_path: path of the CSV file; it needs a header with a `path` column.
            Other columns are kept as they are.
        on_missing: what to do with rows that point to no file: `"raise"`
            a `ValueError` naming the rows and paths, `"skip"` them with a
            logged warning, or `"keep"` them.

    Returns:
        `pandas.DataFrame` with absolute `path`s (and the other columns), index
        reset.

    Example:
    >>> table = read_manifest("esc50.csv")
    >>> train = table[table.split == "train"]
    """
    csv_path = _checked_manifest_path(csv_path, on_missing)
    table = _read_csv(csv_path, dtype={"path": str}, keep_default_na=False, na_values=[])
    _tidy_manifest(table, csv_path)
    exists = table["path"].map(os.path.isfile)
    if on_missing != "keep" and not exists.all():
        missing = table.index[~exists]
        _report_missing(csv_path, list(zip(missing[:5], table["path"][~exists][:5])), len(missing), len(table),
                        on_missing)
        table = table[exists]
    return table.reset_index(drop=True)


class AudioRows:
    """The `(path, label)` rows of a folder or a CSV manifest, read anew each time they are iterated.

    What `write_tfrecord_shards` (and `tools/prepare_audio.py`) takes for corpora
    too large to list in memory (AudioSet's 2 million clips): it iterates its input
    a few times, a chunk at a time, and never holds all rows.

    Args:
        source: a folder (scanned recursively in sorted order, as by
            `find_audio_files`; labels are None) or a CSV manifest with a `path`
            column and optional `label` (read as text) and `split` columns;
            relative paths resolve against the CSV's folder, as in `read_manifest`.
        extensions: folder only: extensions to keep (default `AUDIO_EXTENSIONS`).
        split: manifest only: keep the rows whose `split` equals this.
        on_missing: manifest only: rows that point to no file are a `ValueError`
            naming their CSV lines (`"raise"`, at the end of the first pass),
            skipped with one logged warning (`"skip"`), or kept (`"keep"`). The
            first full pass looks each file up; later passes reuse what it found.
        chunk_rows: manifest rows parsed at a time.

    Example:
    >>> write_tfrecord_shards(AudioRows("audioset.csv", split="train"), "shards/")
    """

    def __init__(self, source, *, extensions=None, split=None, on_missing="raise", chunk_rows=DEFAULT_CHUNK_ROWS):
        self.source = os.fspath(source)
        self.extensions, self.split, self.on_missing, self.chunk_rows = extensions, split, on_missing, chunk_rows
        self._missing = None  # row numbers that point to no file, once a full pass has looked
        if os.path.isdir(self.source):
            if split is not None:
                raise ValueError(f"`split` applies to a CSV manifest, not a folder. Received: split={split!r}")
            return
        self.source = _checked_manifest_path(self.source, on_missing)
        header = _read_csv(self.source, nrows=0)
        _tidy_manifest(header, self.source)
        if split is not None and "split" not in header.columns:
            raise ValueError(
                f"Manifest {self.source!r} has no `split` column to select rows from; found columns "
                f"{list(header.columns)}. Received: split={split!r}"
            )
        self._has_labels = "label" in header.columns

    def __iter__(self):
        if os.path.isdir(self.source):
            return ((path, None) for path in iter_audio_files(self.source, extensions=self.extensions))
        return self._manifest_rows()

    def _manifest_rows(self):
        import pandas as pd

        known, found, total = self._missing, [], 0
        # All columns as text: types inferred chunk by chunk could differ between chunks.
        chunks = pd.read_csv(self.source, dtype=str, keep_default_na=False, na_values=[], chunksize=self.chunk_rows)
        for chunk in chunks:
            _tidy_manifest(chunk, self.source)
            if self.split is not None:
                chunk = chunk[chunk["split"] == self.split]
            labels = chunk["label"].tolist() if self._has_labels else [None] * len(chunk)
            for row, path, label in zip(chunk.index.tolist(), chunk["path"].tolist(), labels):
                total += 1
                if self.on_missing != "keep":
                    if known is None and not os.path.isfile(path):
                        found.append((row, path))
                        continue
                    if known is not None and row in known:
                        continue
                yield path, label
            del chunk, labels  # before the next chunk is parsed: one chunk in memory, not two
        if known is None and self.on_missing != "keep":
            if found:
                _report_missing(self.source, found[:5], len(found), total, self.on_missing)
            self._missing = {row for row, _ in found}


def _checked_manifest_path(csv_path, on_missing):
    if on_missing not in ("raise", "skip", "keep"):
        raise ValueError(f"`on_missing` must be 'raise', 'skip' or 'keep'. Received: on_missing={on_missing!r}")
    csv_path = os.fspath(csv_path)
    if not os.path.isfile(csv_path):
        raise ValueError(f"Manifest file does not exist. Received: csv_path={csv_path!r}")
    return csv_path


def _tidy_manifest(table, csv_path):
    """Strips the column names and resolves `path`s against the CSV's folder, in place."""
    table.columns = [str(c).strip() for c in table.columns]
    if "path" not in table.columns:
        raise ValueError(
            f"Manifest {csv_path!r} needs a `path` column; found columns {list(table.columns)}. "
            f"Expected a header like: path,label,split,fold"
        )
    base = os.path.dirname(os.path.abspath(csv_path))
    # join keeps an absolute path as it is
    table["path"] = [os.path.normpath(os.path.join(base, p)) for p in table["path"].str.strip()]


def _report_missing(csv_path, shown, num_missing, total, on_missing):
    """Raises (`on_missing="raise"`) or warns about rows that point to no file; `shown`: (row, path) pairs."""
    # CSV line numbers: the header is line 1, row i is line i + 2.
    message = (
        f"Manifest {csv_path!r}: {num_missing} of {total} rows point to no file: "
        + "; ".join(f"line {row + 2}: {path}" for row, path in shown)
        + (f"; ... and {num_missing - 5} more" if num_missing > 5 else "")
    )
    if on_missing == "raise":
        raise ValueError(message + ". Pass on_missing='skip' (or skip_bad_files=True) to skip them.")
    logger.warning("%s. Skipped them.", message)
