"""The one exception type that carries a user-facing message.

Everything a user can get wrong (an unknown dataset, a missing file, an image of the wrong
shape, NaN pixels, an output folder that already holds a model) raises `ADeGANError` with a
sentence that says what was wrong and what to do. The command-line tools print that sentence
and exit with status 2 instead of showing a traceback (`cli_main`).
"""

from __future__ import annotations

import argparse
import functools
import re
import sys
from typing import Callable


class ADeGANError(ValueError):
    """A problem with the user's input, explained in words.

    Example:
        >>> raise ADeGANError("unknown dataset 'mnits'; choose one of: mnist, ...")
    """


def cli_main(main: Callable[..., int]) -> Callable[..., int]:
    """Decorates a command-line `main(argv)`: `ADeGANError` and operating-system errors (a folder
    that cannot be written, a full disk, also when TensorFlow's writers meet them) end in one
    `error: ...` line on stderr and exit code 2; Ctrl-C ends in one line and exit code 130.

    Example:
        >>> @cli_main
        ... def main(argv=None) -> int:
        ...     raise ADeGANError("unknown dataset 'mnits'")
        >>> main([])
        2
    """

    @functools.wraps(main)
    def run(argv=None) -> int:
        try:
            return main(argv)
        except ADeGANError as exc:
            print(f"error: {exc}", file=sys.stderr)
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            print(f"error: {where}{exc.strerror or exc}", file=sys.stderr)
        except KeyboardInterrupt:  # Ctrl-C: one line, the shell's code for SIGINT
            print("interrupted (a training run continues with --resume)", file=sys.stderr)
            return 130
        except Exception as exc:
            failed = file_error(exc)
            if failed is None:
                raise
            print(f"error: {failed}", file=sys.stderr)
        return 2

    return run


# TensorFlow's own file writers (TensorBoard logs, SavedModel) fail with an OpError whose message
# ends "<path>; <the system's reason> [Op:...]" rather than with an OSError.
_FILE_REASONS = ("No space left on device", "Read-only file system", "Permission denied",
                 "Disk quota exceeded", "No such file or directory")
_TF_FILE_ERROR = re.compile(r"(\S+); (" + "|".join(_FILE_REASONS) + ")")


def file_error(exc: BaseException) -> str | None:
    """'cannot write PATH: REASON' for a TensorFlow error that is a file system's refusal (a
    full or read-only disk), else None."""
    if not type(exc).__module__.startswith("tensorflow"):
        return None
    found = _TF_FILE_ERROR.search(str(exc))
    return f"cannot write {found[1]}: {found[2]}" if found else None


def require(module: str, extra: str):
    """Import an optional dependency, or raise `ADeGANError` saying how to install it.

    Example:
        >>> kt = require("keras_tuner", "tuning")
    """
    import importlib

    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module.split(".")[0]:
            raise
        raise ADeGANError(f"this needs the optional package {exc.name!r}: pip install "
                          f"'keras-adegan[{extra}]' (a checkout: pip install -r "
                          "requirements.txt)") from None


class ArgumentParser(argparse.ArgumentParser):
    """`argparse.ArgumentParser` whose mistakes are one `error: ...` line (exit 2), like every
    other user error, instead of a usage block; `--help` shows the usage. Run through
    `keras-adegan VERB`, it names itself so."""

    def __init__(self, *args, **kwargs):
        if sys.argv and sys.argv[0].startswith("keras-adegan "):  # set by keras_adegan.cli
            kwargs["prog"] = sys.argv[0]
        super().__init__(*args, **kwargs)

    def error(self, message):
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")
