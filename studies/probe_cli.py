"""What the probe scripts of `studies/` share: their command line (run folders, `--data-dir`,
`--table`, `--conditions`, one TensorFlow thread), images as rows, and the provenance that ends
their results file."""

import argparse
import json
import time
from pathlib import Path

import numpy as np

from keras_adegan.outputs import write_atomically
from keras_adegan.provenance import command_line, footer, set_threads


def probe_parser(doc: str) -> argparse.ArgumentParser:
    """The options every probe takes (`--data-dir`, `--table`, `--conditions`); its
    description is the first line of `doc`."""
    p = argparse.ArgumentParser(description=doc.split("\n")[0])
    p.add_argument("--data-dir", default=None)
    p.add_argument("--table", type=Path, required=True)
    p.add_argument("--conditions", default="",
                   help="what else ran on the machine, written beside the wall time "
                        "(e.g. 'beside two training processes')")
    return p


def parse_probe_args(doc: str) -> argparse.Namespace:
    """The arguments of a probe of run folders (`probe_parser`'s and the folders); sets one
    thread."""
    p = probe_parser(doc)
    p.add_argument("runs", nargs="+", type=Path)
    args = p.parse_args()
    set_threads(1)
    return args


def flat(images) -> np.ndarray:
    """Images as float32 rows, one per image."""
    return np.asarray(images).reshape(len(images), -1).astype(np.float32)


def unit_rows(x) -> np.ndarray:
    """Each row of `x` scaled to unit length (a zero row stays zero)."""
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-8)


def heading(title: str, doc: str) -> list[str]:
    """A probe's results file opens with its title and its docstring's second and third
    paragraphs (what it measures, and its rule), each on one line."""
    return [f"# {title}", "", *[line for paragraph in doc.split("\n\n")[1:3]
                                for line in (" ".join(paragraph.split()), "")]]


def clustering(assigned, labels, classes) -> tuple[float, float, float]:
    """How `assigned` clusters divide the normals (`labels` 0) against their `classes`:
    clustering accuracy, NMI, and the share of the anomalies (`labels` 1) in their most common
    cluster."""
    from sklearn.metrics import normalized_mutual_info_score

    from keras_adegan.diagnostics import cluster_accuracy

    normal = labels == 0
    return (cluster_accuracy(assigned[normal], classes),
            normalized_mutual_info_score(classes, assigned[normal]),
            np.bincount(assigned[~normal]).max() / (~normal).sum())


def write_table(path: Path, lines: list[str], start: float, conditions: str = "") -> None:
    """Write (and print) a probe's Markdown lines with their provenance; `conditions` (what
    else ran) goes beside the wall time."""
    lines = [*lines, "", *footer(f"python {command_line()}", time.time() - start, conditions),
             ""]
    path.write_text("\n".join(lines))
    print("\n".join(lines))


def resumable_cells(table: Path, rule: str) -> tuple[dict, callable]:
    """A resumable study's cells read back from `table`'s .json (none at first), and the
    function that writes them there with the study's `rule` after each one."""
    partial = table.with_suffix(".json")
    done = json.loads(partial.read_text())["cells"] if partial.is_file() else {}

    def save(cells: dict) -> None:
        write_atomically(partial, json.dumps({"rule": rule, "cells": cells}, indent=1) + "\n")

    return done, save


def score_runs(args: argparse.Namespace, doc: str, score_cell) -> dict:
    """Every run folder of `args.runs` scored by `score_cell(run, data_dir, datasets)` (a
    cache of loaded datasets), each written to the table's .json with the rule (`doc`'s third
    paragraph) as it comes; runs scored before are read back, not scored again."""
    done, save = resumable_cells(args.table, doc.split("\n\n")[2])
    datasets = {}
    for run in args.runs:
        if str(run) not in done:
            done[str(run)] = score_cell(run, args.data_dir, datasets)
            save(done)
    return done


def by_dataset(cells: dict) -> list[tuple[str, list[dict]]]:
    """Scored cells grouped by dataset (in name order), each group by seed then class."""
    return [(dataset, sorted((c for c in cells.values() if c["dataset"] == dataset),
                             key=lambda c: (c["seed"], c["anomaly_class"])))
            for dataset in sorted({c["dataset"] for c in cells.values()})]


def run_study(doc: str, title: str, score_cell, section, summary=None) -> None:
    """A resumable study of run folders from start to end: its command line (`doc`'s),
    every run scored (`score_runs`), then its results file: `title`, `doc`'s heading,
    `summary(cells)`'s lines if given, and `section(dataset, rows)`'s lines for each dataset."""
    args = parse_probe_args(doc)
    start = time.time()
    done = score_runs(args, doc, score_cell)
    lines = heading(title, doc) + (summary(done) if summary else [])
    for dataset, rows in by_dataset(done):
        lines += [*section(dataset, rows), ""]
    write_table(args.table, lines, start, args.conditions)
