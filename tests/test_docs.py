"""docs/: findings.md is generated from the registry and current; README links stay inside."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

from remediations.catalog import CATALOG

ROOT = Path(__file__).resolve().parents[1]


def _generator() -> ModuleType:
    path = ROOT / "scripts" / "gen_findings_doc.py"
    spec = importlib.util.spec_from_file_location("gen_findings_doc", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_findings_md_is_current() -> None:
    expected = _generator().render()
    current = (ROOT / "docs" / "findings.md").read_text(encoding="utf-8")
    assert current == expected, "docs/findings.md is stale: run scripts/gen_findings_doc.py"


def test_findings_md_covers_every_id_with_meaning_pitfalls_and_fix() -> None:
    text = _generator().render()
    for finding_id, spec in CATALOG.items():
        section = text[text.index(f"### {finding_id}\n") :]
        section = section[: section.find("\n### ", 1) if "\n### " in section[1:] else None]
        assert spec.severity.label in section
        for label in ("What it means", "Pitfalls", "What to do", "How rafix fixes it"):
            assert f"**{label}:**" in section, (finding_id, label)


def test_readme_links_only_to_files_in_the_repository() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", readme):
        if "://" in target:
            continue
        assert (ROOT / target).exists(), f"README links to {target}, which is not in the repo"
