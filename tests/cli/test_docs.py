"""docs/ is linked from the README, and every "docs/X.md section N" a test cites exists there (a
heading `## N.` / `### N.M`, or a numbered item `**N.M`), so a citation cannot point at nothing."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CITED = re.compile(r"docs/(\w+)\.md section (\d+(?:\.\d+)?)")


def test_the_readme_links_every_doc() -> None:
    readme = (REPO / "README.md").read_text()
    for name in ("engine", "live", "harness", "console"):
        assert (REPO / "docs" / f"{name}.md").is_file()
        assert f"](docs/{name}.md)" in readme


def test_every_cited_section_exists() -> None:
    cited = {(m[0], m[1]) for p in (REPO / "tests").rglob("*.py") for m in CITED.findall(p.read_text())}
    assert cited  # the tests do cite docs/
    for name, number in sorted(cited):
        text = (REPO / "docs" / f"{name}.md").read_text()
        pattern = rf"^(#{{2,3}} {re.escape(number)}[. ]|.*\*\*{re.escape(number)} )"
        assert re.search(pattern, text, re.M), f"docs/{name}.md has no section {number}"
