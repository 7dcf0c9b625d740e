import json

from benchmarks.per_run import cpus_of, measure_each, provenance_lines, run_parser


def test_each_run_is_measured_once_and_written_after_each(tmp_path):
    written = []

    def write(cells):
        written.append(len(cells))
        (tmp_path / "r.json").write_text(json.dumps({"cells": cells}))

    cells = measure_each(["a", "b"], tmp_path / "r", "cmd 1", lambda run: {"run": str(run)}, write)
    assert [c["run"] for c in cells] == ["a", "b"] and written == [1, 2]
    assert cells[0]["command"] == "cmd 1" and "code" in cells[0]
    assert cells[0]["cpu"] and cells[0]["versions"]["tensorflow"]
    again = measure_each(["b", "c"], tmp_path / "r", "cmd 2", lambda run: {"run": str(run)}, write)
    assert [c["run"] for c in again] == ["a", "b", "c"]  # b read back, c measured
    assert "`cmd 1`; `cmd 2`" in provenance_lines(again)[0]


def test_the_parser_takes_runs_and_a_results_name():
    args = run_parser("prog", "Doc.\n\nMore.", "results/x").parse_args(["r1", "r2"])
    assert args.runs == ["r1", "r2"] and args.results == "results/x"


def test_the_cells_not_the_writer_name_the_machines_that_measured_them():
    cells = [{"cpu": "AMD EPYC", "versions": {"tensorflow": "2.21.0"}, "command": "a"},
             {"cpu": "AMD EPYC", "versions": {"tensorflow": "2.21.0"}, "command": "a"},
             {"cpu": "Intel Xeon", "versions": {"tensorflow": "2.21.0"}, "command": "b"},
             {"command": "c"}]
    assert cpus_of(cells) == ("AMD EPYC (2 cells); Intel Xeon (1 cell); not recorded for 1 cell "
                              "(measured before cells recorded it)")
    commands, machines = provenance_lines(cells, "d")
    assert commands == "- Commands: `a`; `b`; `c`; `d`"
    assert machines.startswith("- CPU: AMD EPYC (2 cells)") and "versions: tensorflow 2.21.0" in machines
    _, alone = provenance_lines([{"command": "c"}])
    assert "versions of the writer (the cells recorded none)" in alone
