"""The user's documents: every relative link in README.md, docs/ and results/README.md leads
to a file or folder of the repository."""

import re
from pathlib import Path

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
