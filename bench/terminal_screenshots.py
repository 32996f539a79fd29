"""Pictures of gradcheck's output in a real terminal, at a given width, for the docs.

Runs a command in a tmux window of ``--width`` columns (a real terminal: colours on, the width
the terminal reports), captures the window with its colours (``tmux capture-pane -e``), draws the
capture as an SVG (rich's ``Text.from_ansi`` and ``Console.export_svg``) and photographs the SVG
with headless Chromium into a PNG. Needs tmux and chromium (``apt install tmux chromium``).

    python bench/terminal_screenshots.py --width 80 --out docs/images/check-80.png \\
        -- gradcheck check tests/fixtures/my_course_code.py
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.text import Text


def capture(command: list[str], width: int, height: int, wait: float) -> str:
    """The command's output as the terminal showed it, with its colours (ANSI)."""
    session = f"gradcheck-shot-{int(time.time())}"
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", session, "-x", str(width), "-y", str(height)], check=True
    )
    try:
        done = f"{shlex.join(command)}; tmux wait-for -S {session}-done"
        path = f"export PATH={shlex.quote(os.environ['PATH'])}"  # this environment's gradcheck
        subprocess.run(["tmux", "send-keys", "-t", session, f"{path}; clear; {done}", "Enter"], check=True)
        subprocess.run(["tmux", "wait-for", f"{session}-done"], check=True, timeout=wait)
        out = subprocess.run(
            ["tmux", "capture-pane", "-t", session, "-e", "-p", "-S", "-2000"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], check=False)
    lines = out.rstrip("\n").splitlines()
    while lines and not Text.from_ansi(lines[-1]).plain.strip():
        lines.pop()
    prompt = lines and Text.from_ansi(lines[-1]).plain.rstrip().endswith(("$", "#"))
    return "\n".join(lines[:-1] if prompt else lines)


def picture(ansi: str, width: int, title: str, out: Path) -> None:
    """Draw the capture as an SVG terminal window and photograph it into ``out`` (PNG)."""
    console = Console(
        record=True, width=width, force_terminal=True, color_system="truecolor", file=open("/dev/null", "w")
    )
    console.print(Text.from_ansi(ansi), soft_wrap=True)
    with tempfile.TemporaryDirectory() as folder:
        svg = Path(folder) / "shot.svg"
        svg.write_text(console.export_svg(title=title), encoding="utf-8")
        size = svg.read_text(encoding="utf-8").split('viewBox="0 0 ', 1)[1].split('"', 1)[0].split()
        w, h = (int(float(v)) + 1 for v in size)
        subprocess.run(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             f"--window-size={w},{h}", f"--screenshot={out.resolve()}", svg.as_uri()],
            check=True,
            capture_output=True,
        )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=80)
    parser.add_argument("--height", type=int, default=60)
    parser.add_argument("--wait", type=float, default=120.0, help="seconds the command may take")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--lines", type=int, default=None, help="keep only the first N lines")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    ansi = capture(command, args.width, args.height, args.wait)
    if args.lines is not None:
        ansi = "\n".join(ansi.splitlines()[: args.lines])
    picture(ansi, args.width, f"{shlex.join(command)} ({args.width} columns)", args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
