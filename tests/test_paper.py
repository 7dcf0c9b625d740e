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
    for key in ("auroc_combined", "auroc_recon", "auroc_pattern", "auroc_pca", "auroc_knn",
                "auroc_feature_knn"):
        assert 0.0 <= cell["test"][key] <= 1.0, key
    assert data["budget"]["train_limit"] == 128 and "anomaly_class" not in data["budget"]
    assert cell["versions"]["tensorflow"] and cell["cell_seconds"] > 0
    assert "--classes 2" in cell["command"]
    assert "test_auroc_combined" in cell["history"][-1]  # learning curve of a curve class
    table = (root / "results" / "digits.md").read_text()
    assert "| 2 | 2 | 1 |" in table and "**mean**" in table and "Learning curves" in table


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


def test_cells_from_before_the_feature_option_are_completed_once(finished, capsys):
    root, args = finished
    path = root / "results" / "digits.json"
    data = json.loads(path.read_text())
    del data["cells"]["class2-seed0"]["test"]["auroc_feature_knn"]
    path.write_text(json.dumps(data))
    assert main(args) == 0
    assert "added the E-feature option to class 2" in capsys.readouterr().out
    assert "auroc_feature_knn" in json.loads(path.read_text())["cells"]["class2-seed0"]["test"]
    assert main(args) == 0
    assert "nothing to do" in capsys.readouterr().out
