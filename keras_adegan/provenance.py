"""Where a result came from: library versions, the CPU, the command line.

Every file of results (metrics.json, the benchmark tables, export manifests) records these, so
that a number can be traced to the code and machine that produced it.

Example:
    >>> library_versions()["tensorflow"]
    '2.21.0'
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import subprocess
import sys
import time
from pathlib import Path


def library_versions() -> dict[str, str]:
    """Versions of Python, TensorFlow, Keras, numpy and scikit-learn, and the platform."""
    import keras
    import numpy as np
    import sklearn
    import tensorflow as tf

    return {"python": platform.python_version(), "tensorflow": tf.__version__,
            "keras": keras.__version__, "numpy": np.__version__, "scikit-learn": sklearn.__version__,
            "platform": platform.platform()}


def cpu_name() -> str:
    """The CPU's model name (from /proc/cpuinfo where there is one)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def thread_setting() -> dict[str, int]:
    """TensorFlow's intra-op and inter-op thread counts for this process (set with
    `tf.config.threading` or the TF_NUM_INTRAOP_THREADS / TF_NUM_INTEROP_THREADS variables);
    0 means TensorFlow's default, every core. Wall times depend on them."""
    import tensorflow as tf

    threading = tf.config.threading
    return {"intra_op": threading.get_intra_op_parallelism_threads()
            or int(os.environ.get("TF_NUM_INTRAOP_THREADS", 0)),
            "inter_op": threading.get_inter_op_parallelism_threads()
            or int(os.environ.get("TF_NUM_INTEROP_THREADS", 0))}


def add_threads_flag(parser) -> None:
    """Add `--threads N` (TensorFlow threads of the process; 0, the default, leaves TensorFlow's
    own, every core) to a command line's `argparse` parser; pass its value to `set_threads`.

    Example:
        >>> parser = argparse.ArgumentParser()
        >>> add_threads_flag(parser)
        >>> set_threads(parser.parse_args(["--threads", "1"]).threads)
    """

    def count(text: str) -> int:
        if not text.strip().isdigit():
            raise argparse.ArgumentTypeError(
                f"--threads must be 0 (TensorFlow's default, every core) or a number of "
                f"threads; got {text!r}")
        return int(text)

    parser.add_argument("--threads", type=count, default=0,
                        help="TensorFlow threads of this process (0: TensorFlow's default, "
                             "every core); 1 runs faster when two processes share two cores")


def set_threads(count: int) -> None:
    """Give TensorFlow's intra-op and inter-op pools `count` threads each (0 leaves its default);
    only before TensorFlow starts running ops."""
    if count:
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(count)
        tf.config.threading.set_inter_op_parallelism_threads(count)


def footer(command: str, seconds: float, conditions: str = "") -> list[str]:
    """The Markdown list that ends a probe's results file: its command, the versions and CPU,
    when it was measured and how long it took (`conditions`, e.g. what else ran, in brackets).

    Example:
        >>> footer("python studies/probe.py run", 12.0, "quiet machine")[-1][-20:]
        '12 s (quiet machine)'
    """
    return [f"- Command: `{command}`",
            f"- Versions: `{json.dumps(library_versions())}`; CPU: {cpu_name()}",
            f"- Measured: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {seconds:.0f} s"
            + (f" ({conditions})" if conditions else "")]


def command_line() -> str | None:
    """The command that started this process, quoted so that it can be pasted back into a
    shell, or None when there is none (e.g. a notebook)."""
    return shlex.join(sys.argv) if sys.argv and sys.argv[0] else None


def module_command(module: str, argv: list[str] | None = None) -> str:
    """`python -m module` with `argv` (the process's own arguments if None), shell-quoted.

    Example:
        >>> print(module_command("benchmarks.paper", ["--classes", "0-9", "--budget", '{"a": 1}']))
        python -m benchmarks.paper --classes 0-9 --budget '{"a": 1}'
    """
    return shlex.join(["python", "-m", module, *(sys.argv[1:] if argv is None else argv)])


def code_version() -> str | None:
    """The git commit of this package's checkout (with "+changes" if files differ from it), or
    None outside a git checkout."""
    root = Path(__file__).resolve().parents[1]
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                                text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return commit + ("+changes" if dirty else "")
