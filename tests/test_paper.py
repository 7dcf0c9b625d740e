import json

import pytest

from benchmarks.paper import main, parse_list

ARGS = ["--dataset", "digits", "--classes", "2", "--seeds", "0", "--stage1-epochs", "1",
        "--stage2-epochs", "1", "--width", "4", "--train-limit", "128", "--curve-classes", "2"]


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    root = tmp_path_factory.mktemp("paper")
    args = ARGS + ["--results-dir", str(root / "results"), "--runs-dir", str(root / "runs")]
    assert main(args) == 0
    return root, args


def test_cell_has_model_and_baseline_aurocs_and_provenance(finished):
    root, _ = finished
    data = json.loads((root / "results" / "digits.json").read_text())
    cell = data["cells"]["class2-seed0"]
    for key in ("auroc_features", "auroc_combined", "auroc_recon", "auroc_pattern", "auroc_pca",
                "auroc_knn"):
        assert key in cell["test"], key
    assert "auroc_features" in cell["validation"] and cell["scoring"]["score"] == "features"
    assert data["budget"]["train_limit"] == 128 and "anomaly_class" not in data["budget"]
    assert "bank_size" not in data["budget"]  # scoring options are not part of the budget
    assert cell["versions"]["tensorflow"] and cell["cell_seconds"] > 0
    assert "--classes 2" in cell["command"]
    assert "test_auroc_combined" in cell["history"][-1]  # learning curve of a curve class
    table = (root / "results" / "digits.md").read_text()
    assert "| 2 | 2 | 1 |" in table and "**mean**" in table and "Learning curves" in table
    assert "| validation mean | same cells |" in table


def test_rerun_does_no_work_and_says_so(finished, capsys):
    root, args = finished
    before = (root / "results" / "digits.json").read_text()
    assert main(args) == 0
    assert "nothing to do" in capsys.readouterr().out
    assert (root / "results" / "digits.json").read_text() == before


def test_other_budget_in_same_results_file_is_refused(finished, capsys):
    root, args = finished
    other = [a if a != "4" else "8" for a in args]  # --width 8
    assert main(other) == 2
    assert "another budget (differs in: width)" in capsys.readouterr().err


def test_class_list_syntax():
    assert parse_list("0-2,7") == [0, 1, 2, 7]
    with pytest.raises(Exception, match="like 0-9"):
        parse_list("a-b")


def test_a_cell_trained_with_other_scoring_options_is_rescored_not_retrained(finished, capsys):
    root, args = finished
    path = root / "results" / "digits.json"
    run = root / "runs" / "digits" / "class2-seed0"
    data = json.loads(path.read_text())
    del data["cells"]["class2-seed0"]  # a cell to compute whose run folder is already trained
    path.write_text(json.dumps(data))
    from keras_adegan.runs import rescore

    rescore(run, feature_k=1, bank_size=64)  # as if trained when the defaults were others
    before = json.loads((run / "metrics.json").read_text())
    assert main(args) == 0
    after = json.loads((run / "metrics.json").read_text())
    assert after["history"] == before["history"]  # not retrained
    assert after["config"]["feature_k"] == 5 and after["previous_scoring"]["config"]["feature_k"] == 1
    assert json.loads(path.read_text())["cells"]["class2-seed0"]["test"]["auroc_features"] == \
        after["test"]["auroc_features"]
    assert main(args) == 0
    assert "nothing to do" in capsys.readouterr().out
