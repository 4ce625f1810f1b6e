"""Listing audio files: folder scans and CSV manifests."""

import logging
import os

logger = logging.getLogger(__name__)

# Extensions libsndfile (bundled with the soundfile wheel, >= 1.1) decodes.
AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".mp3", ".aiff", ".aif", ".au", ".w64", ".rf64", ".caf")

MANIFEST_COLUMNS = ("path", "label", "split", "fold")


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
    found = []
    if recursive:
        seen = set()
        for root, dirs, files in os.walk(folder, followlinks=True):
            real = os.path.realpath(root)
            if real in seen:  # a symlink cycle: this folder was already scanned
                dirs[:] = []
                continue
            seen.add(real)
            found.extend(os.path.join(root, name) for name in files if name.lower().endswith(wanted))
    else:
        for name in os.listdir(folder):
            path = os.path.join(folder, name)
            if name.lower().endswith(wanted) and os.path.isfile(path):
                found.append(path)
    return sorted(found)


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
    import pandas as pd

    if on_missing not in ("raise", "skip", "keep"):
        raise ValueError(f"`on_missing` must be 'raise', 'skip' or 'keep'. Received: on_missing={on_missing!r}")
    csv_path = os.fspath(csv_path)
    if not os.path.isfile(csv_path):
        raise ValueError(f"Manifest file does not exist. Received: csv_path={csv_path!r}")
    table = pd.read_csv(csv_path, dtype={"path": str}, keep_default_na=False, na_values=[])
    table.columns = [str(c).strip() for c in table.columns]
    if "path" not in table.columns:
        raise ValueError(
            f"Manifest {csv_path!r} needs a `path` column; found columns {list(table.columns)}. "
            f"Expected a header like: path,label,split,fold"
        )
    base = os.path.dirname(os.path.abspath(csv_path))
    table["path"] = [
        os.path.normpath(p if os.path.isabs(p) else os.path.join(base, p)) for p in table["path"].str.strip()
    ]
    exists = table["path"].map(os.path.isfile)
    if on_missing != "keep" and not exists.all():
        # CSV line numbers: the header is line 1, row i is line i + 2.
        missing = [f"line {i + 2}: {p}" for i, p in zip(table.index[~exists], table["path"][~exists])]
        message = (
            f"Manifest {csv_path!r}: {len(missing)} of {len(table)} rows point to no file: "
            + "; ".join(missing[:5])
            + (f"; ... and {len(missing) - 5} more" if len(missing) > 5 else "")
        )
        if on_missing == "raise":
            raise ValueError(message + ". Pass on_missing='skip' (or skip_bad_files=True) to skip them.")
        logger.warning("%s. Skipped them.", message)
        table = table[exists]
    return table.reset_index(drop=True)
