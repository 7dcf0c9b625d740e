import json

from benchmarks.edge_bank import BANK_SIZES, decide, main


def cell(costs):
    """A cell whose full-bank AUROC is 0.9 and each size's is 0.9 minus its cost."""
    return {"auroc": {"all": 0.9, **{str(s): 0.9 - costs.get(s, 0.0) for s in BANK_SIZES[1:]}}}


def test_the_rule_takes_the_smallest_size_within_both_costs():
    assert decide([cell({1024: 0.02, 2048: 0.004})] * 3)[0] == "bank_size 2048"
    # mean within 0.005 but one cell loses 0.012 at 2048: 4096 is the smallest that qualifies
    cells = [cell({1024: 0.02, 2048: 0.012}), cell({1024: 0.02}), cell({1024: 0.02})]
    assert decide(cells)[0] == "bank_size 4096"
    assert decide([cell({s: 0.02 for s in BANK_SIZES[1:]})])[0].startswith("keep every")


def test_a_run_is_measured_on_validation_and_read_back(trained_run, tmp_path, monkeypatch):
    args = [str(trained_run[0]), "--results", str(tmp_path / "bank")]
    assert main(args) == 0
    data = json.loads((tmp_path / "bank.json").read_text())
    (only,) = data["cells"]
    # 256 training normals: every size keeps them all, so every figure is the stored one
    assert set(only["auroc"].values()) == {only["stored_validation"]}
    assert data["decision"] == "bank_size 1024"

    import benchmarks.edge_bank

    monkeypatch.setattr(benchmarks.edge_bank, "measure", lambda *a: 1 / 0)
    assert main(args) == 0  # read back, not measured again
