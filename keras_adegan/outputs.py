"""Output files that are never half-written and never replace a user's file by accident.

Every folder the project writes (a run, an export) holds a marker file, `MARKER`, that says
what wrote it; `unowned_files` lists what in such a folder the project did not write, so that
`--resume` and `--overwrite` refuse a folder that holds anything else instead of deleting it.

Example:
    >>> check_output_file("scores.csv", overwrite=False)   # before any work
    >>> write_atomically("scores.csv", text)               # after it
    >>> with folder_lock("runs/mnist-class0-seed0"):       # one run writes a folder at a time
    ...     train_into_it()
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from pathlib import Path

from keras_adegan.errors import ADeGANError

MARKER = ".keras-adegan"


def mark(folder, kind: str, files=None) -> None:
    """Write `folder`'s marker: what wrote it (`kind`) and, if given, every file it wrote."""
    content = {"written_by": "keras-adegan", "kind": kind}
    if files is not None:
        content["files"] = sorted(files)
    write_atomically(Path(folder) / MARKER, json.dumps(content, indent=1) + "\n")


def marker(folder) -> dict | None:
    """The marker of `folder` (None if it has none, or an unreadable one)."""
    try:
        content = json.loads((Path(folder) / MARKER).read_text())
    except (OSError, ValueError):
        return None
    return content if isinstance(content, dict) else None


def files_under(folder) -> list[str]:
    """Every file under `folder`, as paths relative to it (`a/b.txt`)."""
    folder = Path(folder)
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if not p.is_dir())


def unowned_files(folder, kind: str, ours) -> list[str] | None:
    """The files under `folder` that the project did not write: None when the folder carries
    no marker of `kind` (then nothing in it is known to be the project's), else the files
    that `ours(relative_path)` does not claim."""
    content = marker(folder)
    if content is None or content.get("kind") != kind:
        return None
    return [f for f in files_under(folder) if f != MARKER and not f.startswith(".lock")
            and not ours(f)]


def refuse_unowned(folder, kind: str, ours, what: str) -> None:
    """Raise `ADeGANError` when `folder` exists, is not empty and holds files the project
    did not write (or no `kind` marker at all), listing them; `what` says what to do."""
    folder = Path(folder)
    listed = ([f for f in files_under(folder) if not f.startswith(".lock")]
              if folder.is_dir() else [])
    if not listed:  # new, empty, or being started by another run (`folder_lock`)
        return
    unowned = unowned_files(folder, kind, ours)
    if unowned is None:
        raise ADeGANError(f"{folder} holds files that keras-adegan did not write ({_some(listed)}; "
                          f"no {MARKER} marker: it is no keras-adegan {kind}): {what}")
    if unowned:
        raise ADeGANError(f"{folder} holds files that keras-adegan did not write: "
                          f"{_some(unowned)}; move them out first, or {what}")


def _some(files: list[str], shown: int = 5) -> str:
    more = len(files) - shown
    return ", ".join(files[:shown]) + (f" and {more} more" if more > 0 else "")


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


def write_atomically(path, text: str, exclusive: bool = False) -> None:
    """Write `text` to a temporary file beside `path`, then move it into place. With
    `exclusive`, `path` must not exist then (another process may have made it since the
    check before the work): it is created by an atomic link, never replaced."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.partial-{os.getpid()}")
    try:
        tmp.write_text(text)
        if not exclusive:
            tmp.replace(path)
            return
        try:
            os.link(tmp, path)
        except FileExistsError:
            raise ADeGANError(f"{path} was created by another process while this one worked; "
                              "nothing was written: choose another --output") from None
    finally:
        tmp.unlink(missing_ok=True)


def _owner(lock: Path) -> tuple[int, str] | None:
    """(process id, host) of a lock's holder; None for a lock that cannot be read."""
    try:
        pid, host = lock.read_text().split(maxsplit=1)
        return int(pid), host.strip()
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


@contextlib.contextmanager
def folder_lock(folder):
    """Hold `folder/.lock` (this process's id) while writing into `folder`.

    The lock holds its process id and host and appears in one step, never empty. A folder
    locked by a live process, by another host, or by a lock that cannot be read is refused with
    `ADeGANError`; a lock left by a process of this host that is gone (killed, crashed) is taken
    over. A folder this call created is removed again if it is still empty at the end.
    """
    folder = Path(folder)
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    lock, host = folder / ".lock", socket.gethostname()
    mine = folder / f".lock.{os.getpid()}"
    mine.write_text(f"{os.getpid()} {host}")  # the lock appears whole, by an atomic link
    try:
        for _ in range(2):
            try:
                os.link(mine, lock)
                break
            except FileExistsError:
                owner = _owner(lock)
                if owner is None or owner[1] != host or _alive(owner[0]):
                    raise ADeGANError(f"{folder} is in use by another run (process "
                                      f"{owner[0] if owner else '?'} on "
                                      f"{owner[1] if owner else '?'}); wait for it to finish or "
                                      f"choose another folder (if no run uses it, delete "
                                      f"{lock})") from None
                lock.unlink(missing_ok=True)  # its process, on this host, is gone
        else:
            raise ADeGANError(f"cannot lock {folder}: another run keeps taking it")
    finally:
        mine.unlink(missing_ok=True)
    try:
        yield folder
    finally:
        lock.unlink(missing_ok=True)
        if created and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
