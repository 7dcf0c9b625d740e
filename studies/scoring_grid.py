"""A feature score per dataset, chosen on the validation split of every results-table cell.

The feature study chose its variant on two cells per dataset, and `benchmarks/dataset_scoring.py`
found that two cells cannot choose a dataset's own variant among hundreds: what won on them lost
on the other classes. This module asks every cell instead. For each cell of a dataset's results
table (every class and seed, `runs/paper/<dataset>[_<task>]/class<k>-seed<s>`, no training) it
scores a small grid of E-only variants on the validation split (held-out normals and held-out
anomaly-class images of the train split), so that the E-only export stays E-only:

* features: E's trunk (`extractor`) or its z_n head (`noise`);
* density: kNN over every training normal (cosine or euclidean, k = 1, 5, 10), or one Gaussian
  per E-assigned pattern;
* for models trained with the rotation task, each of those with the rotation score added at
  weight 0, 0.5, 1 or 2 (both parts standardised on validation normals, as `calibrate` does).

GRID_RULE decides between the grid's best variant and the preset's scoring (`chosen_scoring`),
which is one of the grid's variants. The test split is never read. Results:
`results/scoring_grid[_<task>].{json,md}`, written after every cell (resumable).

Command line:
    python -m benchmarks.scoring_grid --dataset fashion_mnist --seeds 0,1,2
    python -m benchmarks.scoring_grid --dataset cifar10 --seeds 0,1 --real-task rotation
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks.dataset_scoring import E_SOURCES, MARGIN, add_table_arguments, table_runs
from benchmarks.feature_study import parse_variant, study_cell
from keras_adegan.config import ADeGANConfig
from keras_adegan.data import load_dataset
from keras_adegan.errors import ADeGANError, ArgumentParser, cli_main
from keras_adegan.factory import load_detector
from keras_adegan.outputs import write_atomically
from keras_adegan.provenance import cpu_name, library_versions
from keras_adegan.splits import make_splits

GRID_RULE = (
    "Written on 2026-11-29, before any figure of this grid existed: for each dataset and "
    "training option, the grid variant with the highest validation AUROC averaged over every "
    "cell of the dataset's results table (every class and seed) replaces the preset's scoring "
    "if it beats the preset's variant, scored the same way on the same cells, by at least 0.01; "
    "otherwise the preset stays. Only after that decision are the table's test figures of an "
    "adopted variant read (`benchmarks.paper` rescores the cells whose preset changed).")


def variant_key(config: ADeGANConfig) -> str:
    """The grid's name for a config's scoring (`source|density|distance|k|bank[|rot<w>]`)."""
    if config.feature_source not in E_SOURCES:
        raise ADeGANError(f"the grid holds E's features only ({', '.join(E_SOURCES)}), not "
                          f"{config.feature_source!r}")
    if config.feature_density == "gaussian":
        key = f"{config.feature_source}|gaussian|euclidean|1|patterns"
    elif config.bank_size is None:
        key = (f"{config.feature_source}|knn|{config.feature_distance}|{config.feature_k}|full")
    else:
        raise ADeGANError(f"the grid scores kNN over every training normal, not a bank of "
                          f"{config.bank_size}")
    weight = config.rotation_score_weight
    return key + (f"|rot{weight:g}" if weight else "")


def variant_options(key: str) -> dict:
    """The config fields of a grid variant, for `DATASET_SCORING`."""
    fields = parse_variant(key)
    return {"feature_source": fields["source"], "feature_density": fields["density"],
            "feature_distance": fields["distance"], "feature_k": fields["k"],
            "bank_size": None, "rotation_score_weight": fields["rotation_score_weight"]}


def decide(entry: dict) -> dict:
    """GRID_RULE on a dataset's cells: the best variant by mean validation AUROC, the preset's,
    and whether the best replaces it."""
    cells = list(entry["cells"].values())
    keys = set.intersection(*(set(c["variants"]) for c in cells))
    means = {k: float(np.mean([c["variants"][k] for c in cells])) for k in keys}
    best = max(sorted(means), key=means.get)
    preset = entry["preset"]
    gain = means[best] - means[preset]
    return {"best": best, "best_auroc": means[best], "preset": preset,
            "preset_auroc": means[preset], "gain": gain, "cells": len(cells),
            "adopt": bool(best != preset and gain >= MARGIN), "means": means}


def _label(key: str) -> str:
    """A variant in words, without the "|" that would split a markdown table's cell."""
    fields = parse_variant(key)
    text = f"{fields['source']}, {fields['density']}"
    if fields["density"] == "knn":
        text += f", {fields['distance']}, k = {fields['k']}"
    if fields["rotation_score_weight"]:
        text += f", + {fields['rotation_score_weight']:g} x rotation score"
    return text


def write_markdown(data: dict, path: Path) -> None:
    lines = ["# A feature score per dataset, chosen on every table cell's validation split", "",
             "Validation AUROC only (held-out normals and held-out anomaly-class images of the "
             "*train* split), from the results tables' saved models; the test split was not "
             "read. Written by `benchmarks/scoring_grid.py`.", "", f"Rule: {GRID_RULE}", ""]
    for dataset, entry in sorted(data["datasets"].items()):
        if not entry["cells"]:
            continue
        d = decide(entry)
        classes = sorted({c["anomaly_class"] for c in entry["cells"].values()})
        seeds = sorted({c["seed"] for c in entry["cells"].values()})
        lines += [f"## {dataset}", "",
                  f"- Preset: {_label(d['preset'])}: {d['preset_auroc']:.4f}.",
                  f"- Best of the grid: {_label(d['best'])}: {d['best_auroc']:.4f} (gain "
                  f"{d['gain']:+.4f} over {d['cells']} cells: classes {classes}, seeds {seeds}).",
                  "- Decision: " + (f"none yet: {d['cells']} of the {entry['requested']} "
                                    "cells asked for are scored"
                                    if d["cells"] < entry.get("requested", 0) else
                                    f"**{'adopt the best variant' if d['adopt'] else 'keep the preset'}**") + ".",
                  "", "Mean over seeds, per held-out class; variants best first.", "",
                  "| variant | " + " | ".join(str(k) for k in classes) + " | mean |",
                  "|---|" + "---|" * (len(classes) + 1)]
        for key in sorted(d["means"], key=lambda k: -d["means"][k]):
            per_class = [np.mean([c["variants"][key] for c in entry["cells"].values()
                                  if c["anomaly_class"] == k]) for k in classes]
            mark = " (preset)" if key == d["preset"] else ""
            lines.append(f"| {_label(key)}{mark} | " + " | ".join(f"{v:.3f}" for v in per_class)
                         + f" | {d['means'][key]:.4f} |")
        first = next(iter(entry["cells"].values()))
        lines += ["", f"- Runs: `{entry['runs']}`", f"- Command: `{entry['command']}`",
                  f"- Wall time: {sum(c['seconds'] for c in entry['cells'].values()):.0f} s on "
                  f"{first['cpu']}; versions `{json.dumps(first['versions'])}`", ""]
    path.write_text("\n".join(lines) + "\n")


@cli_main
def main(argv=None) -> int:
    p = ArgumentParser(prog="python -m benchmarks.scoring_grid",
                       description=__doc__.split("\n")[0])
    add_table_arguments(p)
    args = p.parse_args(argv)
    suffix = "" if args.real_task == "none" else f"_{args.real_task}"
    runs, keys = table_runs(args)
    preset = variant_key(ADeGANConfig.preset(args.dataset, real_task=args.real_task))
    out = Path(args.results_dir) / f"scoring_grid{suffix}.json"
    data = json.loads(out.read_text()) if out.exists() else {"rule": GRID_RULE, "datasets": {}}
    entry = data["datasets"].setdefault(args.dataset, {"cells": {}})
    entry.update(preset=preset, runs=str(runs), requested=len(keys),
                 command="python -m benchmarks.scoring_grid "
                 + " ".join(sys.argv[1:] if argv is None else argv))
    todo = [k for k in keys if k not in entry["cells"]]
    images = load_dataset(args.dataset) if todo else None
    out.parent.mkdir(parents=True, exist_ok=True)
    for key in todo:
        start = time.time()
        config = json.loads((runs / key / "config.json").read_text())
        splits = make_splits(images, config["anomaly_class"], config["val_fraction"],
                             config["seed"], config["train_limit"])
        variants, _ = study_cell(load_detector(runs / key / "model.keras"), splits, None,
                                 config["seed"], sources=E_SOURCES)
        entry["cells"][key] = {"anomaly_class": config["anomaly_class"], "seed": config["seed"],
                               "variants": variants, "seconds": round(time.time() - start, 1),
                               "cpu": cpu_name(), "versions": library_versions()}
        write_atomically(out, json.dumps(data, indent=1) + "\n")
        write_markdown(data, out.with_suffix(".md"))
        print(f"{args.dataset} {key}: preset {variants[preset]:.3f}, best of the cell "
              f"{max(variants.values()):.3f} ({time.time() - start:.0f} s)", flush=True)
    write_atomically(out, json.dumps(data, indent=1) + "\n")
    write_markdown(data, out.with_suffix(".md"))
    decision = decide(entry)
    decision.pop("means")
    print(json.dumps(decision, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
