"""What the probe scripts of `studies/` share: their command line (run folders, `--data-dir`,
`--table`, one TensorFlow thread) and the provenance that ends their results file."""

import argparse
import time
from pathlib import Path

from keras_adegan.provenance import command_line, footer, set_threads


def parse_probe_args(doc: str) -> argparse.Namespace:
    """The probe's arguments (its description is the first line of `doc`); sets one thread."""
    p = argparse.ArgumentParser(description=doc.split("\n")[0])
    p.add_argument("runs", nargs="+", type=Path)
    p.add_argument("--data-dir", default=None)
    p.add_argument("--table", type=Path, required=True)
    p.add_argument("--conditions", default="",
                   help="what else ran on the machine, written beside the wall time "
                        "(e.g. 'beside two training processes')")
    args = p.parse_args()
    set_threads(1)
    return args


def write_table(path: Path, lines: list[str], start: float, conditions: str = "") -> None:
    """Write (and print) a probe's Markdown lines with their provenance; `conditions` (what
    else ran) goes beside the wall time."""
    lines = [*lines, "", *footer(f"python {command_line()}", time.time() - start, conditions),
             ""]
    path.write_text("\n".join(lines))
    print("\n".join(lines))
