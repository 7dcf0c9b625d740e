"""The user's documents: every relative link in README.md, docs/ and results/README.md leads
to a file or folder of the repository, and the step-by-step Python example runs as written."""

import re
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", ROOT / "results" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def relative_links(text: str) -> list[str]:
    return [t.split("#")[0] for t in LINK.findall(text)
            if not re.match(r"[a-z]+:", t) and not t.startswith("#")]


def test_links_are_found_in_markdown():
    assert relative_links("see [a](../results/a.md#x), [b](https://x.org) and [c](#top)") == [
        "../results/a.md"]


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_leads_to_a_file(document):
    broken = [t for t in relative_links(document.read_text())
              if not (document.parent / t).exists()]
    assert not broken, f"{document.relative_to(ROOT)} links to missing {broken}"


def python_blocks(document: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", document.read_text(), flags=re.S)


# What makes the documents' step-by-step example tiny: the MNIST preset (its cluster task
# included) at 1 + 1 epochs on a few random 28x28 images instead of the real files.
TINY = {'ADeGANConfig.preset("mnist", anomaly_class=3)':
        'ADeGANConfig.preset("mnist", anomaly_class=3, stage1_epochs=1, stage2_epochs=1, '
        'width=4, batch_size=16)',
        'load_dataset("mnist", data_dir="/data/mnist")': "TINY_MNIST"}


@pytest.mark.parametrize("document", ["README.md", "docs/usage.md"])
def test_the_step_by_step_example_runs_as_written(document, tmp_path, monkeypatch):
    from keras_adegan import ImageData
    from tests.conftest import random_images

    [code] = [b for b in python_blocks(ROOT / document) if "build_model(" in b]
    for text, tiny in TINY.items():
        assert text in code, f"{document}'s example changed: update TINY in this test"
        code = code.replace(text, tiny)
    labels = np.arange(200) % 10
    data = ImageData(random_images(200, (28, 28, 1)), labels, random_images(40, (28, 28, 1), 1),
                     labels[:40], [str(k) for k in range(10)], "random")
    monkeypatch.chdir(tmp_path)
    namespace = {"TINY_MNIST": data}
    exec(compile(code, document, "exec"), namespace)  # noqa: S102 - the document's own code
    assert len(namespace["out"]["score"]) == 40 and namespace["model"].cluster_task.is_fitted
