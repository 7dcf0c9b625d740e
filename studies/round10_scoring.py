"""Probe: do core study round 10's diverse models lose the deployed score on z_n too?

Round 10 (docs/method.md) gave MNIST's cluster-task G varied draws within each pattern
(MSGAN's mode-seeking term) but its deployed feature score, on E's trunk, fell below the
preset's. With a G whose z_n carries the within-class variation, E's z_n (trained to recover
it) may hold what the trunk lost. For each run folder given, on its validation split only,
this scores the model with the feature score on E's z_n (`feature_source=noise`, bank of every
training normal; `keras_adegan.runs.validation_metrics`) beside its recorded validation AUROC
on the trunk, as deployed. No model is trained and the test split is not read.

Rule (written on 2026-12-03 before the probe ran): a round 11, round 10's two variants scored
on E's z_n as well as on the trunk, on four other MNIST classes at seed 1, is worth its cells
only if over round 10's four cells the diverse models' mean z_n score is at most 0.005 below
the better of the preset models' two means (trunk, as deployed, and z_n).

Round 10's diverse models hold `diversity_weight`, removed from the product after round 11, so
the probe runs on a checkout of a commit that has it:

    git worktree add ../r10 14101cf
    PYTHONPATH=../r10 python studies/round10_scoring.py --table results/round10_scoring.md RUN...
"""

import json
import time

import numpy as np

from keras_adegan import load_dataset
from keras_adegan.runs import validation_metrics
from probe_cli import heading, parse_probe_args, write_table


def measure(run, data) -> dict:
    config = json.loads((run / "config.json").read_text())
    recorded = json.loads((run / "metrics.json").read_text())["validation"]
    start = time.time()
    noise = validation_metrics(run, data=data, feature_source="noise")["auroc_features"]
    return {"run": str(run), "class": config["anomaly_class"], "seed": config["seed"],
            "variant": "diverse" if config.get("diversity_weight", 0) > 0 else "preset",
            "trunk": recorded["auroc_features"], "noise": noise,
            "seconds": time.time() - start}


def main() -> None:
    args = parse_probe_args(__doc__)
    start = time.time()
    data = load_dataset("mnist", args.data_dir)
    rows = []
    for run in args.runs:
        rows.append(measure(run, data))
        print(rows[-1], flush=True)
    means = {v: {s: float(np.mean([r[s] for r in rows if r["variant"] == v]))
                 for s in ("trunk", "noise")} for v in ("preset", "diverse")}
    best = max(means["preset"].values())
    worth = means["diverse"]["noise"] >= best - 0.005
    lines = [*heading("Core study round 10's models scored on E's z_n (probe, validation only)",
                      __doc__),
             f"**Verdict: round 11 is {'worth' if worth else 'not worth'} its cells** (diverse "
             f"on z_n {means['diverse']['noise']:.3f}; the preset's better scoring "
             f"{best:.3f}).", "",
             "| variant | mean: trunk (deployed) | mean: z_n |", "|---|---|---|"]
    lines += [f"| {v} | {m['trunk']:.3f} | {m['noise']:.3f} |" for v, m in means.items()]
    lines += ["", "| variant | class | seed | trunk (deployed) | z_n | scored in s | run |",
              "|---|---|---|---|---|---|---|"]
    lines += [f"| {r['variant']} | {r['class']} | {r['seed']} | {r['trunk']:.3f} | "
              f"{r['noise']:.3f} | {r['seconds']:.0f} | `{r['run']}` |"
              for r in sorted(rows, key=lambda r: (r["variant"], r["class"]))]
    write_table(args.table, lines, start, args.conditions)


if __name__ == "__main__":
    main()
