"""The grading journal: one line per finished submission, so an interrupted run can resume.

A line is appended (and flushed to disk) only after the gradebook holds the submission's grades.
Resuming skips every submission whose latest line matches its current files; anything graded
but not journaled is simply graded again, which replaces its grades rather than adding to them.
"""

import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Entry:
    """How one submission's grading ended."""

    student: str
    assignment: str
    fingerprint: str
    status: str
    notes: list[str] = field(default_factory=list)
    finished: float = 0.0


def fingerprint(folder: Path) -> str:
    """A hash of every file in a submission folder (names and bytes); '' if there is no folder."""
    if not folder.is_dir():
        return ""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()):  # links: never read
        digest.update(str(path.relative_to(folder)).encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


class Journal:
    """An append-only JSON-lines file of Entry records."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def entries(self) -> dict[tuple[str, str], Entry]:
        """The latest entry per (student, assignment); a torn last line is ignored."""
        latest: dict[tuple[str, str], Entry] = {}
        if not self.path.is_file():
            return latest
        for line in self.path.read_text().splitlines():
            try:
                entry = Entry(**json.loads(line))
            except (ValueError, TypeError):
                continue
            latest[(entry.student, entry.assignment)] = entry
        return latest

    def record(self, entry: Entry) -> None:
        """Append one entry and flush it to disk before returning."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        entry = Entry(**{**asdict(entry), "finished": entry.finished or time.time()})
        with self.path.open("a") as handle:
            handle.write(json.dumps(asdict(entry), sort_keys=True) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def clear(self) -> None:
        """Forget every entry (a full regrade)."""
        self.path.unlink(missing_ok=True)
