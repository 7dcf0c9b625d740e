import subprocess
import sys
import tomllib

import pytest

from keras_adegan import cli
from tests.conftest import REPO


def test_every_verb_answers_help_without_loading_tensorflow():
    """`keras-adegan VERB --help` parses before any heavy import (it answers at once)."""
    code = ("import sys\n"
            "from keras_adegan import cli\n"
            "for verb in cli.VERBS:\n"
            "    try:\n"
            "        cli.main([verb, '--help'])\n"
            "    except SystemExit as exc:\n"
            "        assert exc.code == 0, verb\n"
            "print(sorted(m for m in ('tensorflow', 'keras', 'keras_tuner') if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
    for verb in cli.VERBS:
        assert f"usage: keras-adegan {verb}" in done.stdout


def test_usage_and_unknown_verb(capsys):
    assert cli.main([]) == 0 and "edge-score" in capsys.readouterr().out
    assert cli.main(["trian"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: unknown verb 'trian'") and err.count("\n") == 1


def test_a_verb_runs_its_module_with_the_same_flags(capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["keras-adegan"])
    assert cli.main(["train", "--dataset", "mnits", "--no-download"]) == 2
    assert "unknown dataset 'mnits'" in capsys.readouterr().err


def test_console_script_points_at_the_dispatcher():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert project["project"]["scripts"]["keras-adegan"] == "keras_adegan.cli:main"
    for package in project["tool"]["setuptools"]["packages"]:
        assert (REPO / package / "__init__.py").is_file(), package


@pytest.mark.parametrize("verb", list(cli.VERBS))
def test_every_verb_module_has_a_main(verb):
    import importlib

    assert callable(importlib.import_module(cli.VERBS[verb][0]).main)
