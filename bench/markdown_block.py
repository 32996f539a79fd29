"""Where a benchmark writes its results: the block between ``<!-- NAME -->`` and ``<!-- /NAME -->``
of a Markdown page (``--write docs/benchmarks.md``), so the surrounding prose stays as written."""

from __future__ import annotations

from pathlib import Path

__all__ = ["replace_block"]


def replace_block(page: Path, name: str, text: str) -> None:
    """Put ``text`` between the page's ``<!-- name -->`` and ``<!-- /name -->`` markers.

    Raises
    ------
    ValueError
        When the page lacks either marker (add them where the results belong).
    """
    start, end = f"<!-- {name} -->", f"<!-- /{name} -->"
    document = page.read_text(encoding="utf-8")
    if start not in document or end not in document:
        raise ValueError(f"{page} has no {start} ... {end} block: add the two markers where the results go")
    head, rest = document.split(start, 1)
    _, tail = rest.split(end, 1)
    page.write_text(f"{head}{start}\n{text}\n{end}{tail}", encoding="utf-8")
