"""Every ```python block of README.md and docs/*.md runs, in order, one namespace per file.

A docs page that includes a file of the repository's root (``--8<-- "SECURITY.md"``, the
pymdownx.snippets syntax of mkdocs.yml) is read with that file in its place, as the site shows
it, so the examples of CONTRIBUTING.md run too.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
#: A whole line ``--8<-- "PATH"``; mkdocs.yml sets the snippets' base_path to the repository's root.
SNIPPET = re.compile(r'^--8<-- "([^"]+)"$', re.M)
#: Every fenced block, its language (empty for none) and its text.
FENCED = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.S | re.M)
#: The characters a code block of the site shows at 1280 px, the theme's default size: longer lines
#: scroll sideways. docs/ruff.toml formats the Python blocks of docs/ to this width.
SITE_CODE_WIDTH = 80
#: The command after the README's marker, which .ci/run reads.
TEST_COMMAND = re.compile(r"^<!-- test-command -->\n```bash\n(.*?)\n```", re.S | re.M)


def page_text(page: Path) -> str:
    """The page's Markdown with each included file in place of its ``--8<--`` line."""
    text = page.read_text(encoding="utf-8")
    return SNIPPET.sub(lambda match: (ROOT / match.group(1)).read_text(encoding="utf-8"), text)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_examples_run(
    page: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(ROOT)
    blocks = BLOCK.findall(page_text(page))
    namespace: dict[str, object] = {"__name__": f"docs_{page.stem}"}
    for number, code in enumerate(blocks, 1):
        exec(compile(code, f"{page.name}[block {number}]", "exec"), namespace)


def test_pages_with_code_have_examples() -> None:
    for name in ("README.md", "quickstart.md", "derivation.md"):
        page = ROOT / name if name == "README.md" else ROOT / "docs" / name
        assert BLOCK.findall(page.read_text(encoding="utf-8")), f"{name} has no executed example"


def test_included_files_are_read_in_place_of_their_line() -> None:
    text = page_text(ROOT / "docs" / "security.md")
    assert "--8<--" not in text and (ROOT / "SECURITY.md").read_text(encoding="utf-8") in text


def test_contributing_sets_up_with_the_readmes_test_command() -> None:
    (readme,) = TEST_COMMAND.findall((ROOT / "README.md").read_text(encoding="utf-8"))
    (contributing,) = TEST_COMMAND.findall((ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8"))
    assert contributing == readme


def test_the_site_loads_no_script_or_stylesheet_from_another_host() -> None:
    """The math renderer, like every asset, is served with the site: it reads the same offline."""
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert re.search(r"^  font: false\b", config, re.M), "the theme's fonts come from Google Fonts"
    for section in ("extra_javascript", "extra_css"):
        (entries,) = re.findall(rf"^{section}:\n((?:  - .*\n)+)", config, re.M)
        for entry in re.findall(r"^  - (.*)$", entries, re.M):
            assert "://" not in entry, f"{section} loads {entry} from another host"
            assert (ROOT / "docs" / entry).is_file(), f"{section}: docs/{entry} is missing"


def overlong_lines(block: str) -> list[str]:
    """The block's lines wider than the site's code column, but for the rows of a table the width
    of its rule line (a gradcheck report's table, as the terminal prints it)."""
    lines = block.splitlines()
    rules = {len(line) for line in lines if line and set(line) == {"─"}}
    return [line for line in lines if len(line) > SITE_CODE_WIDTH and len(line) not in rules]


@pytest.mark.parametrize("page", PAGES[1:], ids=lambda p: p.name)
def test_code_blocks_fit_the_sites_content_column(page: Path) -> None:
    for language, block in FENCED.findall(page_text(page)):
        for line in overlong_lines(block):
            pytest.fail(
                f"{page.name}: a {language or 'plain'} block's line of {len(line)} > "
                f"{SITE_CODE_WIDTH} characters scrolls sideways: {line}"
            )
