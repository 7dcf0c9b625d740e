import json
import shlex
import sys

from keras_adegan.provenance import command_line, footer, library_versions


def test_a_probes_footer_names_its_command_versions_and_wall_time():
    lines = footer("python studies/probe.py runs/a --table t.md", 12.4, "quiet machine")
    assert lines[0] == "- Command: `python studies/probe.py runs/a --table t.md`"
    versions = json.loads(lines[1].split("`")[1])
    assert versions == library_versions()
    assert lines[2].startswith("- Measured: 20") and lines[2].endswith(", 12 s (quiet machine)")
    assert footer("x", 3.0)[2].endswith(", 3 s")  # no conditions: no brackets


def test_the_recorded_command_can_be_pasted_back_into_a_shell(monkeypatch):
    argv = ["studies/probe.py", "runs/a", "--conditions", "beside two training processes"]
    monkeypatch.setattr(sys, "argv", argv)
    assert shlex.split(command_line()) == argv
    monkeypatch.setattr(sys, "argv", [""])  # an interactive interpreter
    assert command_line() is None


def test_a_benchmarks_recorded_command_quotes_its_arguments():
    from keras_adegan.provenance import module_command

    argv = ["--classes", "0-9", "--budget", '{"stage1_epochs": 1}']
    assert shlex.split(module_command("benchmarks.paper", argv)) == [
        "python", "-m", "benchmarks.paper", *argv]
    assert module_command("benchmarks.paper", ["--seeds", "0,1"]) \
        == "python -m benchmarks.paper --seeds 0,1"  # plain arguments stay as they were
