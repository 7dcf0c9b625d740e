import pytest

from benchmarks.feature_study import BANK_SIZES, ROTATION_WEIGHTS, choose, study_cell, write_markdown
from keras_adegan.model import load_detector


def cell(dataset, best, full, small, paper=0.5):
    """A synthetic cell: `best` wins the grid; its 1,024 coreset bank scores `small`."""
    variants = {"extractor|knn|cosine|5|random64": best, "noise|knn|cosine|1|random64": 0.6,
                "extractor|gaussian|euclidean|1|patterns": 0.55}
    for name in ("full", "random16384", "coreset4096", "random4096", "random1024", "coreset256",
                 "random256"):
        variants[f"extractor|knn|cosine|5|{name}"] = full - 0.1
    variants["extractor|knn|cosine|5|full"] = full
    variants["extractor|knn|cosine|5|coreset1024"] = small
    return {"dataset": dataset, "anomaly_class": 1, "seed": 0, "variants": variants,
            "paper_auroc": paper, "train_seconds": 1.0, "study_seconds": 1.0, "command": "c",
            "cpu": "cpu", "versions": {}}


def test_choice_takes_the_best_variant_and_the_smallest_bank_within_half_a_point():
    cells = [cell("a", 0.9, 0.92, 0.918), cell("b", 0.8, 0.90, 0.897)]
    choice = choose(cells, 64)
    assert choice["variant"] == "extractor|knn|cosine|5|random64"
    assert (choice["bank_size"], choice["bank_selection"]) == (1024, "coreset")
    assert choice["score"] == "features"


def test_choice_keeps_the_full_bank_and_the_papers_score_when_they_are_better():
    choice = choose([cell("a", 0.6, 0.95, 0.90, paper=0.99)], 64)
    assert choice["bank_size"] is None and choice["bank_selection"] == "all"
    assert choice["score"] == "paper"


def test_study_cell_scores_every_variant_on_validation(trained_run, digits_splits, tmp_path):
    model = load_detector(trained_run[0] / "model.keras")
    variants, rotation_auroc = study_cell(model, digits_splits, grid_bank=64, seed=0)
    assert rotation_auroc is None  # a model without the rotation task
    assert len(variants) == 4 * (1 + 2 * 3 * (len(BANK_SIZES) + 4))
    assert all(0.0 <= v <= 1.0 for v in variants.values())
    # digits zeros are far from the other digits in E's features: the best variant separates them
    assert max(variants.values()) > 0.95
    data = {"grid_bank": 64, "cells": {"x": {**cell("digits", 0.9, 0.9, 0.9), "variants": variants}}}
    write_markdown(data, tmp_path / "s.md")
    text = (tmp_path / "s.md").read_text()
    assert "## Choice" in text and "test split was not read" in text
    assert "stage-2 epochs" not in text  # the budget rule belongs to budget studies only
    write_markdown({**data, "stage2_epochs": 10}, tmp_path / "s.md")
    text = (tmp_path / "s.md").read_text()
    assert "No rule was written for this study" in text  # the rule is CIFAR-10's
    assert "but 10 stage-2 epochs" in text
    data["cells"]["x"]["dataset"] = "cifar10"
    write_markdown({**data, "stage2_epochs": 10}, tmp_path / "s.md")
    assert "CIFAR-10 budget of the rotation option" in (tmp_path / "s.md").read_text()
    assert "deeper E" not in (tmp_path / "s.md").read_text()
    write_markdown({**data, "extractor_blocks": 1}, tmp_path / "s.md")
    text = (tmp_path / "s.md").read_text()
    assert "trained with a deeper E" in text and "1 residual block(s) per stage" in text
    assert "study's weight" not in text
    write_markdown({**data, "real_weight": 10.0}, tmp_path / "s.md")
    text = (tmp_path / "s.md").read_text()
    assert "trained at the study's weight" in text and "rotation task at weight 10" in text


def test_rotation_weights_are_variants_and_the_bank_keeps_the_chosen_weight():
    """For rotation cells a variant carries a rotation-score weight; the bank step looks up the
    chosen weight's banks, not the weight-0 ones."""
    base = cell("a", 0.8, 0.85, 0.70)
    variants = dict(base["variants"])
    for key, value in base["variants"].items():
        variants[f"{key}|rot1"] = value + 0.05
    variants["extractor|knn|cosine|5|coreset1024|rot1"] = 0.90  # within 0.005 of full+rot1
    choice = choose([{**base, "variants": variants, "rotation_auroc": 0.7}], 64)
    assert choice["variant"] == "extractor|knn|cosine|5|random64|rot1"
    assert choice["rotation_score_weight"] == 1.0
    assert (choice["bank_size"], choice["bank_selection"]) == (1024, "coreset")


def test_study_cell_scores_rotation_weights_for_a_rotation_model(digits_splits):
    from keras_adegan import ADeGAN, to_model_range

    model = ADeGAN(image_shape=digits_splits.train_x.shape[1:], n_patterns=4, noise_dim=4,
                   width=4, bank_size=32, real_task="rotation")
    model.compile()
    model.fit_feature_score(to_model_range(digits_splits.train_x[:64]))
    model.calibrate(to_model_range(digits_splits.val_x[digits_splits.val_y == 0]))
    variants, rotation_auroc = study_cell(model, digits_splits, grid_bank=64, seed=0)
    assert 0.0 <= rotation_auroc <= 1.0
    plain = [k for k in variants if "|rot" not in k]
    assert len(variants) == len(plain) * (1 + len(ROTATION_WEIGHTS))


def test_each_training_weight_and_budget_is_a_study_of_its_own():
    from benchmarks.feature_study import main, study_suffix

    assert study_suffix("none", None) == ""
    assert study_suffix("rotation", None) == study_suffix("rotation", 1.0) == "_rotation"
    assert study_suffix("rotation", 0.3) == "_rotation_w0.3"
    assert study_suffix("rotation", None, 10) == "_rotation_stage2x10"
    assert study_suffix("rotation", 0.3, 10) == "_rotation_w0.3_stage2x10"
    assert study_suffix("rotation", None, None, 1) == "_rotation_blocks1"
    assert study_suffix("rotation", None, None, 0) == "_rotation"  # the paper's E
    with pytest.raises(SystemExit):
        main(["--cells", "mnist:1", "--real-weight", "2"])  # a weight needs a task


def test_a_bad_training_weight_is_refused_before_any_work(tmp_path, capsys):
    from benchmarks.feature_study import main

    args = ["--cells", "mnist:1", "--real-task", "rotation", "--results-dir", str(tmp_path),
            "--runs-dir", str(tmp_path / "runs")]
    for weight, message in (("-1", "real_weight must be >= 0"),
                            ("nan", "real_weight must be a finite number")):
        assert main(args + ["--real-weight", weight]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("error:") and message in err[0]
    assert main(args + ["--stage2-epochs", "0"]) == 2
    assert "--stage2-epochs must be at least 1" in capsys.readouterr().err
    assert main(args + ["--extractor-blocks", "-1"]) == 2
    assert "extractor_blocks must be >= 0" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("here,verdict", [(0.45, "train the table's cells with it"),
                                          (0.43, "not adopted")])
def test_a_training_option_study_shows_its_rules_comparison(tmp_path, here, verdict):
    import json

    from benchmarks.feature_study import RULE_BASELINE

    def study(value):
        c = cell("cifar10", 0.9, 0.92, 0.918)
        c["variants"]["extractor|knn|cosine|5|random64|rot0.5"] = value
        return {"grid_bank": 64, "cells": {"cifar10-class1-seed0": c}}

    (tmp_path / RULE_BASELINE).write_text(json.dumps(study(0.42)))
    write_markdown({**study(here), "extractor_blocks": 1}, tmp_path / "s.md")
    text = (tmp_path / "s.md").read_text()
    assert "## The rule's comparison" in text and f"**{verdict}**" in text
    assert f"{here:.4f} against 0.4200, gain {here - 0.42:+.4f}" in text
    write_markdown(study(here), tmp_path / "s.md")  # no training option: no rule to compare
    assert "rule's comparison" not in (tmp_path / "s.md").read_text()


def test_a_contrastive_study_is_compared_with_the_better_table_option_per_dataset(tmp_path):
    """CONTRAST_RULE: per dataset, the option's fixed variant against the better of the plain
    and rotation studies' deployed variants on the same cells, adopted at a 0.02 gain only."""
    import json

    from benchmarks.feature_study import CONTRAST_BASELINES, OPTION_RULES, TASK_RULES

    CONTRAST_RULE, CONTRAST_VARIANT = TASK_RULES["contrastive"]

    def study(dataset_values):
        cells = {}
        for dataset, variant, values in dataset_values:
            for k, value in zip((1, 8), values):
                c = cell(dataset, 0.9, 0.92, 0.918)
                c["anomaly_class"] = k
                c["variants"][variant] = value
                cells[f"{dataset}-class{k}-seed0"] = c
        return {"grid_bank": 64, "cells": cells}

    (plain_file, plain), (rotation_file, mnist_rotation) = CONTRAST_BASELINES["mnist"]
    _, (_, fashion_rotation) = CONTRAST_BASELINES["fashion_mnist"]
    (tmp_path / plain_file).write_text(json.dumps(study(
        [("mnist", plain, (0.90, 0.92)), ("fashion_mnist", plain, (0.80, 0.80))])))
    (tmp_path / rotation_file).write_text(json.dumps(study(
        [("mnist", mnist_rotation, (0.88, 0.90)), ("fashion_mnist", fashion_rotation, (0.85, 0.87))])))
    mine = study([("mnist", CONTRAST_VARIANT, (0.93, 0.93)),           # +0.02 over plain 0.91
                  ("fashion_mnist", CONTRAST_VARIANT, (0.87, 0.86))])  # +0.005 over rotation
    write_markdown({**mine, "real_task": "contrastive"}, tmp_path / "s.md")
    text = (tmp_path / "s.md").read_text()
    assert CONTRAST_RULE in text and "## The rule's comparison" in text
    rows = {line.split(" | ")[0].lstrip("| "): line for line in text.splitlines()
            if line.startswith("| mnist |") or line.startswith("| fashion_mnist |")}
    assert "| 0.9300 | 0.9100 | 0.8900 | +0.0200 | **a table column** |" in rows["mnist"]
    assert "| 0.8650 | 0.8000 | 0.8600 | +0.0050 | not adopted |" in rows["fashion_mnist"]
    assert "cifar10 |" not in text.split("## The rule's comparison")[1].split("Baselines")[0]
    write_markdown(mine, tmp_path / "s.md")  # a study without the task: no such rule
    assert CONTRAST_RULE not in (tmp_path / "s.md").read_text()
    write_markdown({**mine, "real_task": "patterns"}, tmp_path / "s.md")  # its own variant,
    text = (tmp_path / "s.md").read_text()  # here the synthetic cells' full-bank 0.92
    assert TASK_RULES["patterns"][0] in text and CONTRAST_RULE not in text
    assert "| 0.9200 | 0.9100 | 0.8900 | +0.0100 | not adopted |" in text
    # the task at another budget: neither its rule nor the rotation option's budget rule applies
    with_cifar = {**mine["cells"], **study([("cifar10", CONTRAST_VARIANT, (0.5, 0.5))])["cells"]}
    for key, rule in OPTION_RULES:  # (those rules were written for CIFAR-10's cells)
        write_markdown({**mine, "cells": with_cifar, "real_task": "contrastive", key: 10},
                       tmp_path / "s.md")
        text = (tmp_path / "s.md").read_text()
        assert "its figures decide nothing" in text and "rule's comparison" not in text
        assert CONTRAST_RULE not in text and rule not in text
