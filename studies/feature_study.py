"""Choose the feature score on the validation split only, and record the choice.

For each (dataset, anomaly class, seed) cell this trains ADe-GAN once at the results tables'
budget (into the same run folder as `benchmarks/paper.py`, so the tables reuse the model), then
scores the *validation* split (held-out normals and held-out anomaly-class images of the train
split) with every variant of the feature score:

* features: E's layer before its heads (`extractor`), E's z_n head (`noise`), D's flattened
  trunk (`discriminator`), and E's and D's together (`extractor+discriminator`);
* density: kNN to a bank of training normals (cosine or euclidean distance, k = 1, 5, 10; bank
  of `--grid-bank` random training normals), or one Gaussian per E-assigned pattern with a
  shared covariance (Mahalanobis distance);
* bank size for every kNN variant: all training normals, 16,384 (random), and 4,096, 1,024, 256
  chosen by greedy k-centre coreset or at random.

The test split is never read. Results go to `results/feature_study.json` after each cell
(resumable) and `results/feature_study.md`, with the choice made by the rule in CHOICE_RULE.

`--real-task rotation` runs the same study on cells trained with E's rotation task (beyond the
paper), into `results/feature_study_rotation.{json,md}`, so that the option is judged on
validation against the plain study before any test figure. Those cells also score every
variant with the rotation task's own score added (`rotation_score_weight` in ROTATION_WEIGHTS,
both parts standardised on the validation normals, as `ADeGAN.calibrate` does), and the
rotation score alone. `--restudy` re-scores finished cells from their saved models after the
grid grows (no training). `--real-weight` trains the task at another weight,
`--stage2-epochs` for another number of stage-2 epochs, and `--extractor-blocks` with a deeper
E, as cells of their own (`feature_study_rotation_w<weight>.{json,md}`,
`feature_study_rotation_stage2x<epochs>...`, `..._blocks<n>...`), to choose them on validation.
`--real-task contrastive` and `--real-task patterns` study the other two tasks on real normals
(`feature_study_<task>.{json,md}`); each is compared, dataset by dataset, with the options already
in the results tables (TASK_RULES, CONTRAST_BASELINES).

Command line:
    python -m benchmarks.feature_study --cells mnist:1,8 fashion_mnist:1,8 cifar10:1,8 --seeds 0
    python -m benchmarks.feature_study --cells mnist:1,8 fashion_mnist:1,8 cifar10:1,8 --seeds 0 \
        --real-task rotation
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from benchmarks.paper import TABLE_BUDGETS, Results
from keras_adegan import features
from keras_adegan.config import REAL_TASKS, ADeGANConfig
from keras_adegan.data import load_dataset
from keras_adegan.errors import ADeGANError, ArgumentParser, cli_main
from keras_adegan.factory import load_detector
from keras_adegan.images import to_model_range
from keras_adegan.outputs import write_atomically
from keras_adegan.provenance import cpu_name, library_versions
from keras_adegan.runs import train
from keras_adegan.scoring import fit_normal_stats
from keras_adegan.splits import make_splits

KS = (1, 5, 10)
ROTATION_WEIGHTS = (0.5, 1.0, 2.0)
BANK_SIZES = ("full", 16384, 4096, 1024, 256)
CORESET_MAX = 4096  # greedy k-centre beyond this costs minutes per cell on 2 cores
CHOICE_RULE = (
    "Written before any cell ran. (1) Variant: the (features, density, distance, k) with the "
    "highest validation AUROC averaged over datasets (each dataset the mean of its cells), at "
    "the grid's bank. (2) Bank: for that variant, the smallest coreset or random bank of 256, "
    "1,024 or 4,096 rows whose mean validation AUROC is within 0.005 of the full bank's; "
    "the full bank if none is. (3) Score that decides: the feature score if its mean validation "
    "AUROC beats the paper's S, else the paper's.")
ROTATION_RULE = (
    "Added on 2026-11-29, after the first rotation study (which had scored no rotation weight) "
    "and a look at the validation AUROC of weight 1 on two variants, before any other figure "
    "here: for cells trained with the rotation task, a variant also has a rotation-score "
    "weight (0, 0.5, 1 or 2), and (1) and (2) choose among all of them; the bank of (2) is "
    "chosen with the weight of (1) held fixed.")

BUDGET_RULE = (
    "Written on 2026-11-29 before any cell of a `--stage2-epochs` study ran: the CIFAR-10 budget "
    "of the rotation option becomes 10 stage-2 epochs (the tables': 2) if, on the validation "
    "split of CIFAR-10 classes 1 and 8 (seed 0), its deployed variant (extractor | knn | cosine "
    "| 5, rotation weight 0.5, at the grid bank) gains at least 0.02 of mean AUROC over the same "
    "cells trained for 2 epochs (`--stage2-epochs 2`, so both are scored alike); only then are "
    "test cells trained with it.")


DEPTH_RULE = (
    "Written on 2026-11-29 before any cell of an `--extractor-blocks` study ran: the rotation "
    "option's CIFAR-10 table cells are trained with a deeper E (`extractor_blocks` 1: a "
    "residual block after each of E's strided convolutions) if, on the validation split of "
    "CIFAR-10 classes 1 and 8 (seed 0), its deployed variant (extractor | knn | cosine | 5, "
    "rotation weight 0.5, at the grid bank) gains at least 0.02 of mean AUROC over the same "
    "cells with the paper's E (`feature_study_rotation_stage2x2.json`, the same budget); the "
    "deeper E then becomes CIFAR-10's preset for the option only if it also wins by at least "
    "0.01 on the validation splits of those table cells.")


WEIGHT_RULE = (
    "Written on 2026-11-29 before any cell of a `--real-weight` study ran, after the deeper-E "
    "study had shown the rotation loss falling no faster with a deeper E, while E's other "
    "losses weigh 10 in CIFAR-10's preset (beta and gamma): the rotation option's CIFAR-10 "
    "table cells are trained at the study's weight if, on the validation split of CIFAR-10 "
    "classes 1 and 8 (seed 0), its deployed variant (extractor | knn | cosine | 5, rotation "
    "weight 0.5, at the grid bank) gains at least 0.02 of mean AUROC over the same cells at "
    "weight 1 (`feature_study_rotation_stage2x2.json`, the same budget); the weight then "
    "becomes CIFAR-10's preset for the option only if it also wins by at least 0.01 on the "
    "validation splits of those table cells.")


# A study of another training option: the field its data records, and the rule it decides by.
OPTION_RULES = (("stage2_epochs", BUDGET_RULE), ("extractor_blocks", DEPTH_RULE),
                ("real_weight", WEIGHT_RULE))
# What those rules compare, and by how much the option must win.
RULE_BASELINE = "feature_study_rotation_stage2x2.json"
RULE_VARIANT = "extractor|knn|cosine|5|random{bank}|rot0.5"
RULE_GAIN = 0.02


CONTRAST_RULE = (
    "Written on 2026-11-29 before any cell of a contrastive study ran: a dataset's results "
    "table gets a column of the contrastive option (`--real-task contrastive`, the tables' "
    "budget) if, on the validation split of its classes 1 and 8 (seed 0), the option's variant "
    "extractor | knn | cosine | 5 with rotation weight 0.5 over every training normal beats by "
    "at least 0.02 of mean AUROC the better of the two options already in the table, each on "
    "the same cells with the variant it deploys for that dataset (CONTRAST_BASELINES); else the "
    "option is not adopted for that dataset.")
PATTERN_RULE = (
    "Written on 2026-11-29 before any cell of a pattern-task study ran (and before any "
    "contrastive figure was read): the same rule as for the contrastive option, for "
    "`--real-task patterns`, with the option's variant extractor | knn | cosine | 5 over every "
    "training normal (the model has no rotation head).")
# A real-normal task's study: the rule it decides by and the variant that rule compares.
TASK_RULES = {"contrastive": (CONTRAST_RULE, "extractor|knn|cosine|5|full|rot0.5"),
              "patterns": (PATTERN_RULE, "extractor|knn|cosine|5|full")}
# What each dataset's cells of a task study are compared with: (study file, deployed variant)
# of the plain model and of the rotation option, on the same cells.
CONTRAST_BASELINES = {
    "mnist": (("feature_study.json", "noise|knn|cosine|5|full"),
              ("feature_study_rotation.json", "extractor|knn|cosine|5|full")),
    "fashion_mnist": (("feature_study.json", "noise|knn|cosine|5|full"),
                      ("feature_study_rotation.json", "extractor|knn|cosine|5|full|rot0.5")),
    "cifar10": (("feature_study.json", "noise|knn|cosine|5|full"),
                ("feature_study_rotation_stage2x2.json", "extractor|knn|cosine|5|full|rot0.5")),
}


def task_comparison(data: dict, path: Path) -> list[str]:
    """The markdown lines of a task study's rule (TASK_RULES): per dataset, the option's
    variant against the better of CONTRAST_BASELINES on the same cells, and the decision."""
    rule = task_rule(data)
    if rule is None:
        return []
    task, variant_here = data["real_task"], rule[1]
    lines = ["## The rule's comparison", "",
             f"Mean validation AUROC over each dataset's cells that every file has: the "
             f"{task} option's {variant_here} against the options already in the table.",
             "", f"| dataset | cells | {task} | plain | rotation | gain over the better | decision |",
             "|---|---|---|---|---|---|---|"]
    for dataset, baselines in CONTRAST_BASELINES.items():
        others = [json.loads((path.parent / name).read_text())["cells"]
                  if (path.parent / name).is_file() else {} for name, _ in baselines]
        keys = sorted(k for k, c in data["cells"].items() if c["dataset"] == dataset
                      and variant_here in c["variants"]
                      and all(variant in other.get(k, {}).get("variants", {})
                              for other, (_, variant) in zip(others, baselines)))
        if not keys:
            continue
        here = float(np.mean([data["cells"][k]["variants"][variant_here] for k in keys]))
        before = [float(np.mean([other[k]["variants"][variant] for k in keys]))
                  for other, (_, variant) in zip(others, baselines)]
        gain = here - max(before)
        verdict = "**a table column**" if gain >= RULE_GAIN else "not adopted"
        lines.append(f"| {dataset} | {', '.join(keys)} | {here:.4f} | "
                     + " | ".join(f"{b:.4f}" for b in before) + f" | {gain:+.4f} | {verdict} |")
    lines.append("")
    lines.append("Baselines (file, variant): " + "; ".join(
        f"{d}: " + ", ".join(f"`{n}` {v}" for n, v in b) for d, b in CONTRAST_BASELINES.items()))
    return lines + [""]


def rule_comparison(data: dict, path: Path) -> list[str]:
    """The markdown lines of a training-option study's rule: its deployed variant against the
    same cells of RULE_BASELINE (in `path`'s folder) on validation, and the decision."""
    baseline_path = path.parent / RULE_BASELINE
    rules = any(data.get(key) for key, _ in OPTION_RULES)
    if not rules or data.get("real_task") in TASK_RULES \
            or path.with_suffix(".json").name == RULE_BASELINE \
            or not baseline_path.is_file():
        return []
    baseline = json.loads(baseline_path.read_text())["cells"]
    variant = RULE_VARIANT.format(bank=data["grid_bank"])
    keys = sorted(k for k, c in data["cells"].items()
                  if c["dataset"] == "cifar10" and variant in c["variants"]
                  and variant in baseline.get(k, {}).get("variants", {}))
    if not keys:
        return []
    here = float(np.mean([data["cells"][k]["variants"][variant] for k in keys]))
    before = float(np.mean([baseline[k]["variants"][variant] for k in keys]))
    verdict = "train the table's cells with it" if here - before >= RULE_GAIN else "not adopted"
    return ["## The rule's comparison", "",
            f"The deployed variant ({variant}) on validation, this study against `{RULE_BASELINE}`"
            f" on the same cells ({', '.join(keys)}): {here:.4f} against {before:.4f}, gain "
            f"{here - before:+.4f} (the rule asks for {RULE_GAIN}): **{verdict}**.", ""]


def task_rule(data: dict) -> tuple[str, str] | None:
    """(rule, variant) of TASK_RULES for a study of a task at the tables' budget; None for any
    other study (a task trained at another budget, depth or weight decides nothing by it)."""
    if any(data.get(key) for key, _ in OPTION_RULES):
        return None
    return TASK_RULES.get(data.get("real_task"))


def study_rules(data: dict, cells: list[dict]) -> str:
    """The rules a study decides by: a task's (TASK_RULES), or another training option's
    (BUDGET_RULE, DEPTH_RULE, WEIGHT_RULE), each written for the rotation option on CIFAR-10's
    cells; another dataset's or another task's study of such an option decides nothing."""
    rule = task_rule(data)
    if rule:
        return rule[0]
    rules = [rule for key, rule in OPTION_RULES if data.get(key)]
    if rules and (data.get("real_task") in TASK_RULES
                  or not any(c["dataset"] == "cifar10" for c in cells)):
        return "No rule was written for this study of a training option: its figures decide nothing."
    return " ".join(rules)


def study_suffix(real_task: str, real_weight: float | None,
                 stage2_epochs: int | None = None, extractor_blocks: int | None = None) -> str:
    """What names a study's files and run folders: "" (the plain study), "_<task>", then
    "_w<weight>" for a task trained at other than the default weight and "_stage2x<epochs>" for
    another stage-2 budget than the tables'."""
    suffix = "" if real_task == "none" else f"_{real_task}"
    if real_weight is not None and real_weight != ADeGANConfig.real_weight:
        suffix += f"_w{real_weight:g}"
    if stage2_epochs is not None:
        suffix += f"_stage2x{stage2_epochs}"
    if extractor_blocks:
        suffix += f"_blocks{extractor_blocks}"
    return suffix


def parse_variant(key: str) -> dict:
    """The fields of a variant key `source|density|distance|k|bank[|rot<weight>]`."""
    source, density, distance, k, bank, *rest = key.split("|")
    weight = float(rest[0][3:]) if rest else 0.0
    return {"source": source, "density": density, "distance": distance, "k": int(k),
            "bank": bank, "rotation_score_weight": weight}


def grid_keys(cells: list[dict], grid_bank: int) -> list[str]:
    """The variants scored in every cell at the grid's bank (and the per-pattern Gaussians);
    cells studied before the grid grew lack the newer ones until they are re-studied."""
    shared = set.intersection(*(set(c["variants"]) for c in cells))
    return sorted(k for k in shared
                  if parse_variant(k)["bank"] in (f"random{grid_bank}", "patterns"))


def bank_key(variant: str, bank: str) -> str:
    """`variant` with its bank replaced by `bank`."""
    parts = variant.split("|")
    parts[4] = bank
    return "|".join(parts)


def standardise(values, normal):
    """`values` standardised by the mean and deviation of their `normal` entries, as
    `ADeGAN.calibrate` standardises the feature score's parts."""
    mean, std = fit_normal_stats(values[normal])
    return (values - mean) / std


def _auroc(labels, scores) -> float:
    return float(roc_auc_score(labels, scores))


def study_cell(model, splits, grid_bank: int | None, seed: int,
               sources: tuple[str, ...] = features.SOURCES) -> tuple[dict, float | None]:
    """Validation AUROC of every variant of the given feature `sources` for one trained model,
    and of the rotation score alone (None for a model without a rotation head). With
    `grid_bank` None, every kNN variant is scored over every training normal only (bank
    `full`), without the smaller banks."""
    train = features.network_features(model, to_model_range(splits.train_x))
    val = features.network_features(model, to_model_range(splits.val_x))
    y = splits.val_y
    rows = {}
    rotation = None
    if model.rotation_head is not None:
        rotation = standardise(model.rotation_scores(to_model_range(splits.val_x)), y == 0)

    def record(key, scores):
        rows[key] = _auroc(y, scores)
        if rotation is not None:
            density = standardise(scores, y == 0)
            for weight in ROTATION_WEIGHTS:
                rows[f"{key}|rot{weight:g}"] = _auroc(y, density + weight * rotation)
    for source in sources:
        f_train = features.combine(train, source)
        f_val = features.combine(val, source)
        head = features.fit_head(f_train, train["pattern"], model.n_patterns, "gaussian",
                                 "euclidean", model.n_patterns)
        record(f"{source}|gaussian|euclidean|1|patterns",
               features.head_scores(f_val, head, 1, "euclidean"))
        for distance in features.DISTANCES:
            space = f_train / np.maximum(np.linalg.norm(f_train, axis=1, keepdims=True), 1e-12) \
                if distance == "cosine" else f_train
            banks = {"full": np.arange(len(f_train))}
            if grid_bank is not None:
                order = features.coreset_order(space, min(CORESET_MAX, len(space)), seed)
                rng = np.random.default_rng(seed)
                banks.update({f"random{grid_bank}": rng.permutation(len(f_train))[:grid_bank],
                              "random16384": rng.permutation(len(f_train))[:16384]})
                for size in (4096, 1024, 256):
                    banks[f"coreset{size}"] = order[:size]
                    banks[f"random{size}"] = rng.permutation(len(f_train))[:size]
            for bank_name, index in banks.items():
                head = features.fit_head(f_train[index], None, model.n_patterns, "knn", distance,
                                         len(index))
                nearest = features.nearest_distances(f_val, head, max(KS), distance)
                for k in KS:
                    record(f"{source}|knn|{distance}|{k}|{bank_name}",
                           nearest[:, :k].mean(axis=1))
    return rows, (None if rotation is None else _auroc(y, rotation))


def choose(cells: list[dict], grid_bank: int, sources: tuple[str, ...] | None = None,
           only: str | None = None) -> dict:
    """Apply CHOICE_RULE to the finished cells (validation figures only): among the variants
    of the given feature `sources` (default: all), or for the variant `only`."""
    datasets = sorted({c["dataset"] for c in cells})

    def mean_of(key):
        per = [np.mean([c["variants"][key] for c in cells if c["dataset"] == d]) for d in datasets]
        return float(np.mean(per))

    keys = [k for k in grid_keys(cells, grid_bank)
            if sources is None or parse_variant(k)["source"] in sources]
    best = only if only is not None else max(keys, key=mean_of)
    fields = parse_variant(best)
    bank = {"bank_size": grid_bank, "bank_selection": "random", "auroc": mean_of(best)}
    if fields["density"] == "knn":
        full = mean_of(bank_key(best, "full"))
        bank = {"bank_size": None, "bank_selection": "all", "auroc": full}
        for size in (256, 1024, 4096):
            pick = max(("coreset", "random"),
                       key=lambda sel: mean_of(bank_key(best, f"{sel}{size}")))
            if mean_of(bank_key(best, f"{pick}{size}")) >= full - 0.005:
                bank = {"bank_size": size, "bank_selection": pick,
                        "auroc": mean_of(bank_key(best, f"{pick}{size}"))}
                break
    paper = float(np.mean([np.mean([c["paper_auroc"] for c in cells if c["dataset"] == d])
                           for d in datasets]))
    return {"variant": best, "feature_source": fields["source"],
            "feature_density": fields["density"], "feature_distance": fields["distance"],
            "feature_k": fields["k"], "rotation_score_weight": fields["rotation_score_weight"],
            **bank,
            "variant_auroc": mean_of(best), "paper_auroc": paper,
            "score": "features" if mean_of(best) > paper else "paper"}


def write_markdown(data: dict, path: Path) -> None:
    cells = sorted(data["cells"].values(), key=lambda c: (c["dataset"], c["anomaly_class"], c["seed"]))
    grid_bank = data["grid_bank"]
    heads = [f"{c['dataset']} {c['anomaly_class']}/{c['seed']}" for c in cells]
    rotation = bool(cells) and all(c.get("rotation_auroc") is not None for c in cells)
    columns = ("features", "density", "distance", "k") + (("rotation weight",) if rotation else ())

    def describe(key):
        fields = parse_variant(key)
        return [fields["source"], fields["density"], fields["distance"], str(fields["k"])] + (
            [f"{fields['rotation_score_weight']:g}"] if rotation else [])

    lines = ["# Feature score: choices made on the validation split", "",
             "Validation AUROC (held-out normals + held-out anomaly-class images of the *train* "
             "split) of every feature-score variant, from one trained model per cell. The test "
             "split was not read by this study. Written by `benchmarks/feature_study.py`.", "",
             f"Choice rule: {CHOICE_RULE}" + (f" {ROTATION_RULE}" if rotation else "")
             + f" {study_rules(data, cells)}".rstrip(), ""]
    if cells:
        choice = choose(cells, grid_bank)
        lines += ["## Choice", "",
                  f"- Variant: **{' | '.join(describe(choice['variant']))}** "
                  f"({' | '.join(columns)}), mean validation AUROC {choice['variant_auroc']:.4f} "
                  "at the grid bank.",
                  "- Bank: " + (f"{choice['bank_selection']} {choice['bank_size']} rows"
                                if choice["bank_size"] else "every training normal")
                  + f", mean validation AUROC {choice['auroc']:.4f}.",
                  f"- The paper's S on the same cells: {choice['paper_auroc']:.4f}; the score that "
                  f"decides by default: **{choice['score']}**.", ""]
    lines += [f"## Variants at the grid bank ({grid_bank} random training normals; Gaussian: "
              "one row per pattern)", "",
              "| " + " | ".join(columns) + " | " + " | ".join(heads) + " | mean |",
              "|" + "---|" * (len(columns) + len(heads) + 1)]
    blank = " |" * (len(columns) - 1)  # the empty columns after a row's label
    if cells:
        datasets = sorted({c["dataset"] for c in cells})
        for key in grid_keys(cells, grid_bank):
            values = [c["variants"][key] for c in cells]
            mean = np.mean([np.mean([c["variants"][key] for c in cells if c["dataset"] == d])
                            for d in datasets])
            lines.append("| " + " | ".join(describe(key)) + " | "
                         + " | ".join(f"{v:.3f}" for v in values) + f" | {mean:.3f} |")
        lines.append(f"| paper's S (Eq. 11) |{blank} " + " | ".join(
            f"{c['paper_auroc']:.3f}" for c in cells) + " | |")
        if rotation:
            lines.append(f"| rotation score alone |{blank} " + " | ".join(
                f"{c['rotation_auroc']:.3f}" for c in cells) + " | |")
        choice = choose(cells, grid_bank)
        if choice["feature_density"] == "knn":
            stem = " | ".join(describe(choice["variant"]))
            better = {size: max(("coreset", "random"), key=lambda sel: np.mean(
                [c["variants"][bank_key(choice["variant"], f"{sel}{size}")] for c in cells]))
                for size in (4096, 1024, 256)}
            lines += ["", f"## Bank size for the chosen variant ({stem})", "",
                      "Better subsampling on validation, by size: " + ", ".join(
                          f"{size}: {sel}" for size, sel in better.items())
                      + ". (The default `bank_selection`, used when a user asks for a smaller "
                      "bank, follows this line; it was set after the choice rule, from these "
                      "validation figures.)", "",
                      "| bank | " + " | ".join(heads) + " | mean |",
                      "|---|" + "---|" * (len(heads) + 1)]
            for name in ("full", "random16384", "coreset4096", "random4096", "coreset1024",
                         "random1024", "coreset256", "random256"):
                key = bank_key(choice["variant"], name)
                values = [c["variants"][key] for c in cells]
                mean = np.mean([np.mean([c["variants"][key] for c in cells
                                         if c["dataset"] == d]) for d in datasets])
                lines.append(f"| {name} | " + " | ".join(f"{v:.3f}" for v in values)
                             + f" | {mean:.3f} |")
    total = sum(c["train_seconds"] + c["study_seconds"] for c in cells)
    lines += [""] + rule_comparison(data, path) + task_comparison(data, path)
    lines += ["## Reproduction", "",
              "- Commands: " + "; ".join(sorted({f"`{c[name]}`" for c in cells
                                                 for name in ("command", "restudy_command")
                                                 if name in c})),
              f"- Budgets (the results tables'): `{json.dumps(TABLE_BUDGETS)}`"
              + (f", but E with {data['extractor_blocks']} residual block(s) per stage"
                 if data.get("extractor_blocks") else "")
              + (f", but the rotation task at weight {data['real_weight']:g}"
                 if data.get("real_weight") else "")
              + (f", but {data['stage2_epochs']} stage-2 epochs" if data.get("stage2_epochs")
                 else ""),
              f"- Seeds: {sorted({c['seed'] for c in cells})}; cells: "
              + ", ".join(f"{c['dataset']} class {c['anomaly_class']}" for c in cells),
              f"- Wall time: {total:.0f} s (training {sum(c['train_seconds'] for c in cells):.0f} "
              f"s, study {sum(c['study_seconds'] for c in cells):.0f} s) on "
              f"{cells[0]['cpu'] if cells else '?'}",
              f"- Versions: `{json.dumps(cells[0]['versions']) if cells else ''}`",
              f"- Raw numbers: `{path.with_suffix('.json').name}`.", ""]
    path.write_text("\n".join(lines) + "\n")


@cli_main
def main(argv=None) -> int:
    p = ArgumentParser(prog="python -m benchmarks.feature_study",
                                description=__doc__.split("\n")[0])
    p.add_argument("--cells", nargs="+", required=True,
                   help="dataset:classes, e.g. mnist:1,8 fashion_mnist:1,8")
    p.add_argument("--seeds", default="0", help="comma-separated seeds")
    p.add_argument("--grid-bank", type=int, default=4096, help="random bank of the variant grid")
    p.add_argument("--results-dir", default="results")
    p.add_argument("--runs-dir", default="runs/paper", help="where each cell's run folder goes")
    p.add_argument("--restudy", action="store_true",
                   help="re-score the given cells that are already finished, from their saved "
                        "models (after the variant grid grows); their training time is kept")
    p.add_argument("--real-task", choices=REAL_TASKS, default="none",
                   help="train the cells with a real-normal task (beyond the paper); results go "
                        "to feature_study_<task>.json/.md, to compare with the plain study")
    p.add_argument("--real-weight", type=float, default=None,
                   help="the task's training weight (default: the config's, 1); another weight "
                        "trains its own cells, into <dataset>_<task>_w<weight> run folders and "
                        "feature_study_<task>_w<weight>.json/.md")
    p.add_argument("--stage2-epochs", type=int, default=None,
                   help="another stage-2 budget than the tables' (2): cells of their own, in "
                        "<dataset>..._stage2x<epochs> run folders and feature_study..."
                        "_stage2x<epochs>.json/.md")
    p.add_argument("--extractor-blocks", type=int, default=0,
                   help="a deeper E (residual blocks per stage; the tables': 0): cells of their "
                        "own, in <dataset>..._blocks<n> run folders and feature_study..."
                        "_blocks<n>.json/.md")
    args = p.parse_args(argv)
    if args.real_weight is not None and args.real_task == "none":
        p.error("--real-weight needs --real-task")
    if args.stage2_epochs is not None and args.stage2_epochs < 1:
        raise ADeGANError(f"--stage2-epochs must be at least 1, got {args.stage2_epochs}")
    # the config's own checks, before any data or file
    ADeGANConfig.preset("digits", real_task=args.real_task, real_weight=args.real_weight,
                        extractor_blocks=args.extractor_blocks)
    suffix = study_suffix(args.real_task, args.real_weight, args.stage2_epochs,
                          args.extractor_blocks)
    command = "python -m benchmarks.feature_study " + " ".join(sys.argv[1:] if argv is None else argv)
    out_json = Path(args.results_dir) / f"feature_study{suffix}.json"
    data = json.loads(out_json.read_text()) if out_json.exists() else {
        "grid_bank": args.grid_bank, "choice_rule": CHOICE_RULE, "cells": {},
        **({"real_task": args.real_task} if args.real_task != "none" else {}),
        **({"stage2_epochs": args.stage2_epochs} if args.stage2_epochs else {}),
        **({"extractor_blocks": args.extractor_blocks} if args.extractor_blocks else {}),
        **({"real_weight": args.real_weight}
           if args.real_weight not in (None, ADeGANConfig.real_weight) else {})}
    for spec in args.cells:
        dataset, classes = spec.split(":")
        loaded = None
        for k in (int(v) for v in classes.split(",")):
            for seed in (int(v) for v in args.seeds.split(",")):
                key = f"{dataset}-class{k}-seed{seed}"
                if key in data["cells"] and not args.restudy:
                    continue
                loaded = loaded or load_dataset(dataset)
                budget = {**TABLE_BUDGETS[dataset],
                          **({"stage2_epochs": args.stage2_epochs} if args.stage2_epochs else {}),
                          "extractor_blocks": args.extractor_blocks}
                config = ADeGANConfig.preset(dataset, anomaly_class=k, seed=seed,
                                             real_task=args.real_task,
                                             real_weight=args.real_weight, **budget)
                # the run folder of benchmarks/paper.py's cell (its variant's, for a task)
                run_dir = Path(args.runs_dir) / f"{dataset}{suffix}" / Results.key(k, seed)
                if (run_dir / "metrics.json").exists():
                    metrics = json.loads((run_dir / "metrics.json").read_text())
                else:
                    resume = (run_dir / "backup").exists()
                    metrics = train(config, run_dir, data=loaded, resume=resume,
                                    overwrite=not resume, verbose=2)
                train_seconds = metrics["train_seconds"]
                splits = make_splits(loaded, k, config.val_fraction, seed, config.train_limit)
                start = time.time()
                variants, rotation_auroc = study_cell(load_detector(run_dir / "model.keras"),
                                                      splits, args.grid_bank, seed)
                data["cells"][key] = {
                    "dataset": dataset, "anomaly_class": k, "seed": seed,
                    "variants": variants, "rotation_auroc": rotation_auroc,
                    "paper_auroc": metrics["validation"]["auroc_combined"],
                    "train_seconds": train_seconds,
                    "study_seconds": round(time.time() - start, 1),
                    "command": data["cells"].get(key, {}).get("command", command),
                    **({"restudy_command": command} if key in data["cells"] else {}),
                    "cpu": cpu_name(), "versions": library_versions(),
                    "finished": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())}
                out_json.parent.mkdir(parents=True, exist_ok=True)
                write_atomically(out_json, json.dumps(data, indent=1) + "\n")
                write_markdown(data, out_json.with_suffix(".md"))
                print(f"{key}: done ({time.time() - start:.0f} s study)", flush=True)
    write_markdown(data, out_json.with_suffix(".md"))
    if data["cells"]:
        print(json.dumps(choose(list(data["cells"].values()), data["grid_bank"]), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
