import json

import pytest

import benchmarks.core_figures as core_figures


def test_a_run_is_measured_again_on_validation_and_read_back(trained_run, tmp_path, monkeypatch):
    args = [str(trained_run[0]), "--results", str(tmp_path / "figures")]
    assert core_figures.main(args) == 0
    (only,) = json.loads((tmp_path / "figures.json").read_text())["cells"]
    stored = json.loads((trained_run[0] / "metrics.json").read_text())["core"]
    for key in ("cluster_acc", "cluster_nmi", "sample_acc", "diversity_ratio"):
        assert only["core"][key] == pytest.approx(stored[key])  # the same model, the same probe
    assert "frechet" not in only["core"]  # the digits ship no classifier
    table = (tmp_path / "figures.md").read_text()
    assert "| frechet |" in table and "n/a" in table
    monkeypatch.setattr(core_figures, "measure", lambda *a: 1 / 0)
    assert core_figures.main(args) == 0  # read back, not measured again
