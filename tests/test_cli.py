import re
import shlex
import subprocess
import sys
import tomllib

import numpy as np
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
    assert "also its name (e.g. sandal" in " ".join(done.stdout.split())  # --anomaly-class


def test_usage_and_unknown_verb(capsys):
    assert cli.main([]) == 0 and "edge-score" in capsys.readouterr().out
    assert cli.main(["trian"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: unknown verb 'trian'") and err.count("\n") == 1


def test_a_verb_runs_its_module_with_the_same_flags(capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["keras-adegan"])
    assert cli.main(["train", "--dataset", "mnits", "--no-download"]) == 2
    assert "unknown dataset 'mnits'" in capsys.readouterr().err


def test_console_script_points_at_the_dispatcher_and_packages_claim_no_generic_name():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert project["project"]["scripts"]["keras-adegan"] == "keras_adegan.cli:main"
    folders = project["tool"]["setuptools"].get("package-dir", {})
    for package in project["tool"]["setuptools"]["packages"]:
        assert package.split(".")[0] == "keras_adegan", package
        folder = folders.get(package, package.replace(".", "/"))
        assert (REPO / folder / "__init__.py").is_file(), package
    assert folders == {"keras_adegan.export": "export", "keras_adegan.tuning": "tuning"}


@pytest.mark.parametrize("verb", list(cli.VERBS))
def test_every_verb_module_has_a_main(verb):
    assert callable(cli.verb_module(verb).main)


def test_the_train_function_survives_the_command_lines_import():
    """`keras_adegan.train` is the Python API's function even after every command-line module
    (and `python -m keras_adegan.train`'s script) has been imported."""
    code = ("import runpy, sys\n"
            "import keras_adegan\n"
            "from keras_adegan import cli\n"
            "for verb in cli.VERBS:\n"
            "    cli.verb_module(verb)\n"
            "sys.argv = ['x', '--help']\n"
            "try:\n"
            "    runpy.run_module('keras_adegan.train', run_name='__main__')\n"
            "except SystemExit:\n"
            "    pass\n"
            "from keras_adegan import train\n"
            "from keras_adegan.runs import train as runs_train\n"
            "print(train is runs_train and keras_adegan.train is runs_train)\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "True"


def test_python_dash_m_forms_answer_from_a_checkout():
    for argv in (["keras_adegan", "--help"], ["keras_adegan.train", "--help"],
                 ["export", "--help"], ["tuning.search", "--help"]):
        done = subprocess.run([sys.executable, "-m", *argv], cwd=REPO, capture_output=True,
                              text=True)
        assert done.returncode == 0 and "usage:" in done.stdout, (argv, done.stderr[-500:])


def walk_through_commands() -> list[list[str]]:
    """The commands of the README's "Your own images, end to end" block, as `keras-adegan` argv."""
    readme = (REPO / "README.md").read_text()
    block = re.search(r"## Your own images, end to end.*?```bash\n(.*?)```", readme, re.S).group(1)
    commands = []
    for line in block.replace("\\\n", " ").splitlines():
        words = shlex.split(line)
        assert words[:3] == ["python", "-m", "keras_adegan"], line
        commands.append(words[3:])
    return commands


@pytest.mark.slow
def test_the_readme_walk_through_runs_as_written(tmp_path, monkeypatch, capsys):
    from PIL import Image

    rng = np.random.default_rng(0)
    for k, name in enumerate(("good", "scratched", "dented")):
        (tmp_path / "my_parts" / name).mkdir(parents=True)
        for i in range(60):  # enough normals for the folder preset's batch of 64
            pixels = np.clip(rng.normal(60 + 60 * k, 20, (16, 16)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(tmp_path / "my_parts" / name / f"{i}.png")
    (tmp_path / "new_parts").mkdir()
    for i in range(6):
        pixels = np.clip(rng.normal(60 + 60 * (i % 3), 20, (16, 16)), 0, 255).astype(np.uint8)
        Image.fromarray(pixels).save(tmp_path / "new_parts" / f"{i}.png")
    monkeypatch.chdir(tmp_path)
    commands = walk_through_commands()
    assert [c[0] for c in commands] == ["train", "evaluate", "score", "export", "edge-score"]
    for argv in commands:
        assert cli.main(argv) == 0, argv
    out = capsys.readouterr().out
    assert "anomaly: 2 (scratched)" in out and '"auroc_features"' in out
    assert '"class_name": "scratched"' in out
    assert (tmp_path / "scores.csv").read_text().count("\n") == 7
    assert (tmp_path / "edge_scores.csv").read_text().count("\n") == 7
    assert (tmp_path / "exported" / "features_int8wo.tflite").is_file()
