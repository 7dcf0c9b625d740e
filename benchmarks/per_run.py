"""What the benchmarks that measure finished runs share: one cell per run folder, read back
from the results file when it is there, written after every new one (so a stopped benchmark
resumes where it was), each with the code and command that measured it.

Example:
    >>> args = run_parser("python -m benchmarks.core_figures", __doc__, "results/core_figures")
    >>> measure_each(args.runs, Path(args.results), "python -m ...", measure, write)
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from keras_adegan.errors import ArgumentParser
from keras_adegan.provenance import code_version, cpu_name, library_versions


def run_parser(prog: str, doc: str, results: str) -> ArgumentParser:
    """The command line: run folders, and `--results` (a file name without suffix)."""
    p = ArgumentParser(prog=prog, description=doc.split("\n")[0])
    p.add_argument("runs", nargs="+", help="finished run folders (each with model.keras)")
    p.add_argument("--results", default=results, help="results file, no suffix")
    return p


def read_cells(results: Path) -> list[dict]:
    """The cells that `results`.json holds (none if it does not exist yet)."""
    path = results.with_suffix(".json")
    return json.loads(path.read_text())["cells"] if path.is_file() else []


def measure_each(runs, results: Path, command: str, measure, write) -> list[dict]:
    """Every run's cell: read back from `results`.json, or `measure(run)` (a dict) with the
    code version and `command` added, after which `write(cells)` records them all."""
    cells = read_cells(results)
    for run in runs:
        if any(c["run"] == str(Path(run)) for c in cells):
            continue
        cells.append({**measure(Path(run)), **machine(), "code": code_version(),
                      "command": command})
        print(json.dumps(cells[-1]), flush=True)
        write(cells)
    return cells


def machine() -> dict:
    """What a cell records of the machine that measured it: the CPU and library versions."""
    return {"cpu": cpu_name(), "versions": library_versions()}


def cpus_of(cells: list[dict]) -> str:
    """The CPUs that measured the cells, each with its count of cells; cells recorded before
    they named their CPU are counted as such."""
    counts = Counter(c.get("cpu") for c in cells)
    unrecorded = counts.pop(None, 0)
    parts = [f"{name} ({n} cell{'s' * (n != 1)})" for name, n in sorted(counts.items())]
    if unrecorded:
        parts.append(f"not recorded for {unrecorded} cell{'s' * (unrecorded != 1)} (measured "
                     "before cells recorded it)")
    return "; ".join(parts) or "no cells"


def provenance_lines(cells: list[dict], command: str | None = None) -> list[str]:
    """The markdown lines naming the commands, CPUs and library versions that made the cells
    (and `command`, the one writing the file); the cells, not the writer, say which machine
    measured them, and cells recorded before they said so are counted as such."""
    commands = sorted({c["command"] for c in cells if c.get("command")} | {command} - {None})
    versions = sorted({json.dumps(c["versions"], sort_keys=True) for c in cells
                       if c.get("versions")})
    if not versions:
        versions = [json.dumps(library_versions(), sort_keys=True)]
        label = "versions of the writer (the cells recorded none)"
    else:
        label = "versions"
    return ["- Commands: " + "; ".join(f"`{c}`" for c in commands),
            f"- CPU: {cpus_of(cells)}; {label}: "
            + " / ".join(", ".join(f"{k} {v}" for k, v in json.loads(v).items())
                         for v in versions)]
