from benchmarks.paper_sections import core_section, mean_std


def test_mean_std_by_hand():
    assert mean_std([0.5, 0.7]) == "0.600 ± 0.141" and mean_std([0.5]) == "0.500"
    assert mean_std([]) == "n/a"


def test_the_core_section_averages_each_class_and_says_what_is_missing():
    cells = [{"anomaly_class": 1, "core": {"cluster_acc": 0.3, "frechet": 10.0}},
             {"anomaly_class": 1, "core": {"cluster_acc": 0.5}},
             {"anomaly_class": 8, "core": None}]  # recorded before the figures existed
    lines = core_section(cells)
    (row,) = [line for line in lines if line.startswith("| 1 |")]
    cells_of_row = [v.strip() for v in row.split("|")[1:-1]]
    assert cells_of_row[:3] == ["1", "2", "0.40"]  # class, cells, mean ACC
    assert "10.00" in cells_of_row and "n/a" in cells_of_row  # NMI never recorded
    assert not any(line.startswith("| 8 |") for line in lines)
    assert core_section([{"anomaly_class": 1}]) == []
