"""Status notes about the submission being graded in this process, collected by the grader.

Preprocessors run inside nbgrader's converter and cannot return anything to the grader directly;
they add one-line notes here, and the grader takes them after each submission. File names and
messages in notes come from submissions, so everything the grader prints or writes goes through
`printable` first: a terminal escape sequence in a file name must not reach the instructor's terminal.
"""

_notes: list[str] = []


def printable(text: str) -> str:
    """`text` with every non-printable character (escape, newline, bidi overrides, ...) shown as a Python escape."""
    return "".join(char if char.isprintable() else char.encode("unicode_escape").decode("ascii") for char in text)


def add(note: str) -> None:
    """Record a status note for the current submission."""
    note = printable(note)
    if note not in _notes:
        _notes.append(note)


def take() -> list[str]:
    """Return and clear the notes recorded since the last call."""
    taken = list(_notes)
    _notes.clear()
    return taken
