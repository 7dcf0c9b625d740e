"""Output files that are never half-written and never replace a user's file by accident.

Example:
    >>> check_output_file("scores.csv", overwrite=False)   # before any work
    >>> write_atomically("scores.csv", text)               # after it
"""

from __future__ import annotations

import os
from pathlib import Path

from keras_adegan.errors import ADeGANError


def check_output_file(path, overwrite: bool = False) -> Path:
    """Refuse an output file that exists (unless `overwrite`), is a folder, or whose folder is
    missing: called before any work, so that a mistake costs nothing."""
    path = Path(path)
    if path.is_dir():
        raise ADeGANError(f"--output {path} is a folder; name a file")
    if path.exists() and not overwrite:
        raise ADeGANError(f"{path} already exists; choose another --output or pass --overwrite")
    if not path.parent.is_dir():
        raise ADeGANError(f"the folder of --output {path} does not exist; create it first")
    return path


def write_atomically(path, text: str) -> None:
    """Write `text` to a temporary file beside `path`, then rename it into place."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.partial-{os.getpid()}")
    try:
        tmp.write_text(text)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
