"""Status notes about the submission being graded in this process, collected by the grader.

Preprocessors run inside nbgrader's converter and cannot return anything to the grader directly;
they add one-line notes here, and the grader takes them after each submission.
"""

_notes: list[str] = []


def add(note: str) -> None:
    """Record a status note for the current submission."""
    if note not in _notes:
        _notes.append(note)


def take() -> list[str]:
    """Return and clear the notes recorded since the last call."""
    taken = list(_notes)
    _notes.clear()
    return taken
