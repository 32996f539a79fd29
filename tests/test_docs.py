"""Every ```python block of README.md and docs/*.md runs, in order, one namespace per file."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_examples_run(
    page: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(ROOT)
    blocks = BLOCK.findall(page.read_text(encoding="utf-8"))
    namespace: dict[str, object] = {"__name__": f"docs_{page.stem}"}
    for number, code in enumerate(blocks, 1):
        exec(compile(code, f"{page.name}[block {number}]", "exec"), namespace)


def test_pages_with_code_have_examples() -> None:
    for name in ("README.md", "quickstart.md", "derivation.md"):
        page = ROOT / name if name == "README.md" else ROOT / "docs" / name
        assert BLOCK.findall(page.read_text(encoding="utf-8")), f"{name} has no executed example"
