"""The verdict journal: a batch's verdicts, appended one by one as they are decided.

``gradcheck report FILE.py ... --out DIR`` writes every submission's verdict to
``DIR/verdicts.jsonl`` the moment it is decided: one JSON object per line, flushed and synced to
disk, so a batch that is interrupted (Ctrl-C, a lost machine, ``kill -9``) loses nothing it had
decided. Started again with the same ``--out``, the batch grades only the submissions the journal
has no verdict for and builds the same report.

A verdict is reused for a submission whose file has the same content (SHA-256) and was checked
with the same settings (seeds, limits, isolation): a file changed since is graded again. Each
line holds, besides the readable fields (``path``, ``verdict``, ``failure``, ``problem``,
``seconds``), the whole :class:`~gradcheck.learner.ModuleCheck` pickled (``result``, base64); it is
read back with the same restricted unpickler as an isolated check's result, which loads nothing
but a check's own classes. A line cut short by an interruption is ignored.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import pickle
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gradcheck.isolation import unpickle_result
from gradcheck.learner import ModuleCheck

__all__ = ["JOURNAL_NAME", "Journal", "fingerprint"]

#: The journal's file name in a batch's output folder.
JOURNAL_NAME = "verdicts.jsonl"


def fingerprint(path: str | Path, settings: Mapping[str, Any]) -> str:
    """SHA-256 of the file's bytes and of the settings it is checked with (a missing file: of its
    path, so that it is checked, and refused, again)."""
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode())
    try:
        digest.update(Path(path).read_bytes())
    except OSError:
        digest.update(f"unreadable:{Path(path).resolve()}".encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class Journal:
    """``verdicts.jsonl`` of one output folder."""

    path: Path

    @classmethod
    def in_folder(cls, out: str | Path, *, fresh: bool = False) -> Journal:
        """The journal of ``out`` (created with the folder); ``fresh`` empties it first."""
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        journal = cls(folder / JOURNAL_NAME)
        if fresh:
            journal.path.write_text("", encoding="utf-8")
        return journal

    def load(self) -> dict[str, ModuleCheck]:
        """The verdicts recorded, by fingerprint (the last one of each)."""
        if not self.path.is_file():
            return {}
        known: dict[str, ModuleCheck] = {}
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
                known[entry["key"]] = unpickle_result(base64.b64decode(entry["result"]))
            except (ValueError, KeyError, TypeError, pickle.UnpicklingError, EOFError, AttributeError):
                continue  # a line cut short by an interruption, or not a verdict of ours
        return known

    def record(self, key: str, result: ModuleCheck) -> None:
        """Append one verdict and make sure it is on disk before returning."""
        entry = {
            "key": key,
            "path": result.path,
            "verdict": result.verdict,
            "failure": result.failure,
            "problem": result.problem,
            "seconds": result.seconds,
            "result": base64.b64encode(pickle.dumps(result)).decode("ascii"),
        }
        with self.path.open("a", encoding="utf-8") as file:
            file.write(json.dumps(entry) + "\n")
            file.flush()
            os.fsync(file.fileno())
