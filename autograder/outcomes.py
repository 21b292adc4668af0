"""How each hidden-test cell of a graded notebook ended, kept in the cell's metadata for reports.

The grader writes it (preprocessors/execute.py) from the signed report of the grading kernel, so a
submission cannot choose it: `{"outcome": ..., "part": ..., "ename": ..., "mistake": ...}` under
`cell.metadata["autograder"]`, replacing whatever the submitted notebook carried there.
"""

from typing import Any

from nbformat.notebooknode import NotebookNode

KEY = "autograder"
PASSED, FAILED, UNTRUSTED = "passed", "failed", "untrusted"
TIME_LIMIT, KERNEL_DIED, NOT_RUN = "time-limit", "kernel-died", "not-run"
OUTCOMES = (PASSED, FAILED, UNTRUSTED, TIME_LIMIT, KERNEL_DIED, NOT_RUN)
VISIBLE, HIDDEN = "visible", "hidden"
HIDDEN_MARKER = "BEGIN HIDDEN TESTS"


def failed_part(source: str, line: int) -> str:
    """`HIDDEN` when line `line` (1-based) of a test's source lies after its hidden-tests marker."""
    for number, text in enumerate(source.splitlines(), start=1):
        if HIDDEN_MARKER in text:
            return HIDDEN if line > number else VISIBLE
    return VISIBLE


def record(cell: NotebookNode, outcome: str, *, part: str = "", ename: str = "", mistake: str = "") -> None:
    """Store how `cell`'s test ended in its metadata."""
    cell.metadata[KEY] = {"outcome": outcome, "part": part, "ename": ename, "mistake": mistake}


def read(cell: Any) -> dict[str, str]:
    """How a graded test cell ended; a cell the grader did not mark reads as not run."""
    found = cell.get("metadata", {}).get(KEY) if isinstance(cell, dict) else None
    if not isinstance(found, dict) or found.get("outcome") not in OUTCOMES:
        return {"outcome": NOT_RUN, "part": "", "ename": "", "mistake": ""}
    return {name: str(found.get(name) or "") for name in ("outcome", "part", "ename", "mistake")}
