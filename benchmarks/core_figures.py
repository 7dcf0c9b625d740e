"""The core diagnostics of finished runs, measured again with today's diagnostics (issue 22).

A run's `metrics.json` holds the core figures of the diagnostics it was trained with; runs made
before the Frechet distance existed (`keras_adegan.frechet`) lack it. This tool loads each run's
model, rebuilds its splits and records every figure of `keras_adegan.diagnostics.core_metrics`
(the Frechet distance for the named datasets) on the validation split only.

Resumable: each run's figures are written as soon as they are measured and read back.

Command line:
    python -m benchmarks.core_figures runs/core_study/honest/mnist-class1-seed0 ...
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from benchmarks.per_run import measure_each, provenance_lines, run_parser
from keras_adegan.errors import cli_main
from keras_adegan.outputs import write_atomically
from keras_adegan.provenance import module_command

COLUMNS = ("cluster_acc", "cluster_nmi", "sample_acc", "classes_covered", "purity",
           "diversity_ratio", "frechet", "frechet_floor")


def measure(run: Path) -> dict:
    from keras_adegan.diagnostics import core_metrics
    from keras_adegan.factory import load_detector
    from keras_adegan.runs import core_probe
    from keras_adegan.splits import run_splits

    start = time.time()
    model = load_detector(run / "model.keras")
    config = model.run_config
    probe = core_probe(run_splits(config), config.get("seed", 0), config.get("dataset"))
    return {"run": str(run), "dataset": config.get("dataset"),
            "anomaly_class": config.get("anomaly_class"),
            "core": core_metrics(model, probe, config.get("seed", 0)),
            "seconds": round(time.time() - start, 1)}


def _cell(value) -> str:
    return "n/a" if value is None else f"{value:.2f}" if isinstance(value, float) else str(value)


@cli_main
def main(argv=None) -> int:
    args = run_parser("python -m benchmarks.core_figures", __doc__,
                      "results/core_figures").parse_args(argv)
    path = Path(args.results)

    def write(cells):
        write_atomically(path.with_suffix(".json"), json.dumps({"cells": cells}, indent=1) + "\n")
        lines = ["# The generative core's figures of finished runs (validation only)", "",
                 __doc__.split("\n\n")[1].replace("\n", " "), "", *provenance_lines(cells), "",
                 "| run | " + " | ".join(COLUMNS) + " | code |",
                 "|---|" + "---|" * (len(COLUMNS) + 1)]
        lines += [f"| {c['run']} | " + " | ".join(_cell(c["core"].get(k)) for k in COLUMNS)
                  + f" | {c['code']} |" for c in cells]
        write_atomically(path.with_suffix(".md"), "\n".join(lines) + "\n")

    command = module_command("benchmarks.core_figures", argv)
    measure_each(args.runs, path, command, measure, write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
