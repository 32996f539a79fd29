"""The notebook view as a learner sees it: a real notebook executed, converted and photographed.

Builds a notebook that checks the course's planted bugs (``dW2`` twice too large, ``db1`` four
times: docs/quickstart.md, "When a gradient is wrong") against ``tests/fixtures/my_course_code.py``,
executes it in a Jupyter kernel (nbclient), checks what the kernel sent back (the HTML view, and
``str(report)`` as the text/plain form), converts it with nbconvert's JupyterLab template in its
light and its dark theme, and takes a screenshot of each with headless Chromium::

    pip install -e ".[notebook]"
    python bench/notebook_screenshots.py --out docs/images

writes ``notebook-light.png`` and ``notebook-dark.png`` there (and ``--keep DIR`` keeps the
executed notebook and both HTML pages). Needs ``chromium`` on the PATH.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbconvert import HTMLExporter
from PIL import Image, ImageChops

ROOT = Path(__file__).resolve().parent.parent
#: The kernel's working folder, where the notebook imports the learner's module from.
FIXTURES = ROOT / "tests" / "fixtures"

CELLS = [
    ("markdown", "## Checking my backward pass\nThe course's exercise plants two bugs in the gradients."),
    (
        "code",
        """import numpy as np
from gradcheck import verify_gradients
from my_course_code import initialize_parameters, forward_propagation, backward_propagation""",
    ),
    (
        "code",
        """rng = np.random.default_rng(0)
X = rng.standard_normal((2, 40))
Y = (rng.random((1, 40)) > 0.5).astype(float)
parameters = initialize_parameters(2, 4, 1)


def backward_with_bugs(parameters, cache, X, Y):
    grads = backward_propagation(parameters, cache, X, Y)
    grads["dW2"] = grads["dW2"] * 2
    grads["db1"] = grads["db1"] * 4
    return grads


report = verify_gradients(
    forward=forward_propagation, backward=backward_with_bugs, parameters=parameters, X=X, Y=Y
)
report""",
    ),
]


def build() -> nbformat.NotebookNode:
    """The notebook, not yet executed."""
    notebook = nbformat.v4.new_notebook()
    for kind, source in CELLS:
        make = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
        notebook.cells.append(make(source))
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return notebook


def execute(notebook: nbformat.NotebookNode) -> dict[str, str]:
    """Runs every cell in a fresh kernel (this interpreter's) in :data:`FIXTURES`; the last cell's
    display data."""
    NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": FIXTURES}}
    ).execute()
    (result,) = notebook.cells[-1].outputs  # the report's display, nothing printed or displayed beside it
    assert result.output_type == "execute_result", result
    data: dict[str, str] = dict(result.data)
    assert "text/html" in data and "Element error map of dW2" in data["text/html"], "no notebook view"
    assert data["text/plain"].startswith("2 of 4 gradients are wrong"), "text/plain is not str(report)"
    return data


def to_html(notebook: nbformat.NotebookNode, theme: str) -> str:
    """The executed notebook as a JupyterLab page in ``theme`` (``light`` or ``dark``), code shown."""
    exporter = HTMLExporter(template_name="lab", theme=theme, mathjax_url="")
    body, _ = exporter.from_notebook_node(notebook)
    return str(body)


def screenshot(page: Path, png: Path, width: int, height: int) -> None:
    """Headless Chromium's picture of ``page``, cut below the last row that is not background."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("chromium is not on the PATH")
    subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--window-size={width},{height}",
            f"--screenshot={png}",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    image = Image.open(png).convert("RGB")
    background = Image.new("RGB", image.size, image.getpixel((image.width - 1, image.height - 1)))
    box = ImageChops.difference(image, background).getbbox()
    if box is not None:
        image = image.crop((0, 0, image.width, min(image.height, box[3] + 24)))
    image.save(png, optimize=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    parser.add_argument("--keep", type=Path, help="also write the executed notebook and the HTML pages here")
    parser.add_argument("--width", type=int, default=1100)
    parser.add_argument("--height", type=int, default=1400)
    args = parser.parse_args()

    notebook = build()
    data = execute(notebook)
    print(data["text/plain"])
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, folder / "planted-bugs.ipynb")
        for theme in ("light", "dark"):
            page = folder / f"planted-bugs-{theme}.html"
            page.write_text(to_html(notebook, theme), encoding="utf-8")
            png = args.out / f"notebook-{theme}.png"
            screenshot(page, png, args.width, args.height)
            print(f"{png}: {Image.open(png).size[0]}x{Image.open(png).size[1]}")


if __name__ == "__main__":
    main()
