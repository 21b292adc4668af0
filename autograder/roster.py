"""The class roster: students' names and emails read from a CSV file into the nbgrader gradebook.

Formgrader and the LMS exports show a student's first and last name and email from the gradebook;
nbgrader creates students from submission folder names only, so without a roster every name reads
"None, None". `read_roster` checks the whole file first and returns every problem, one line per
bad row; `import_roster` writes nothing unless there is none.

Accepted column names (any case; spaces, `_` and `-` are interchangeable; a UTF-8 byte-order mark,
as Excel writes it, is skipped):

- student id (required): `id`, `student_id`, `username`, `user`, `login`, `user_id`, `netid`,
  `sis_login_id`
- first name (required): `first_name`, `firstname`, `given_name`, `forename`
- last name (required): `last_name`, `lastname`, `surname`, `family_name`
- email (optional column; a row may leave it empty): `email`, `e-mail`, `email_address`, `mail`

Other columns are ignored. A student id must be a valid submission folder name for nbgrader and
Formgrader: letters, digits and `._@-`, starting with a letter or digit (see SECURITY.md, "Student
ids reach Formgrader unescaped"). Names are kept exactly as written: Formgrader shows them as text
and the CLI prints them through `notes.printable`, so they need no escaping here.
"""

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from nbgrader.api import Gradebook

from autograder.course import Course

FIELD_ALIASES = {
    "id": ("id", "student id", "username", "user", "login", "user id", "netid", "sis login id"),
    "first_name": ("first name", "firstname", "given name", "forename"),
    "last_name": ("last name", "lastname", "surname", "family name"),
    "email": ("email", "e mail", "email address", "mail"),
}
REQUIRED_FIELDS = ("id", "first_name", "last_name")
STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]*")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
MAX_LENGTH = 128  # nbgrader's gradebook columns are VARCHAR(128); PostgreSQL refuses longer values


@dataclass(frozen=True)
class RosterEntry:
    """One student of the roster: nbgrader id, names and email (empty when unknown)."""

    id: str
    first_name: str
    last_name: str
    email: str


class RosterError(ValueError):
    """A roster file with problems; `problems` holds one line per problem."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def _header_key(name: str) -> str:
    return " ".join(re.sub(r"[_\-]", " ", name).lower().split())


def _columns(header: list[str], label: str) -> tuple[dict[str, int], list[str]]:
    """Map each field to its column index; return the problems found in the header."""
    lookup = {alias: field for field, aliases in FIELD_ALIASES.items() for alias in aliases}
    columns: dict[str, int] = {}
    problems = []
    for index, name in enumerate(header):
        field = lookup.get(_header_key(name))
        if field is None:
            continue
        if field in columns:
            problems.append(f"{label} line 1: columns '{header[columns[field]]}' and '{name}' both give the {field}; "
                            "keep one")
        else:
            columns[field] = index
    for field in REQUIRED_FIELDS:
        if field not in columns:
            names = ", ".join(FIELD_ALIASES[field][:3]).replace(" ", "_")
            problems.append(f"{label} line 1: no {field.replace('_', ' ')} column (name it one of: {names})")
    return columns, problems


def _row_problems(entry: RosterEntry) -> list[str]:
    problems = []
    if not entry.id:
        problems.append("empty student id")
    elif not STUDENT_ID.fullmatch(entry.id):
        problems.append(f"student id '{entry.id}' is not a valid folder name: use letters, digits and ._@- only, "
                        "starting with a letter or digit")
    if not entry.first_name and not entry.last_name:
        problems.append("no name: fill the first name, the last name or both")
    if entry.email and not EMAIL.fullmatch(entry.email):
        problems.append(f"'{entry.email}' is not an email address (name@domain.tld); fix it or leave it empty")
    for field in ("id", "first_name", "last_name", "email"):
        value = getattr(entry, field)
        if len(value) > MAX_LENGTH:
            problems.append(f"{field.replace('_', ' ')} is {len(value)} characters long; the gradebook keeps "
                            f"at most {MAX_LENGTH}")
        if any(unicodedata.category(char) == "Cc" for char in value):
            problems.append(f"{field.replace('_', ' ')} contains control characters (tab, newline, escape, ...)")
    return problems


def read_roster(path: Path) -> list[RosterEntry]:
    """Read and check a roster CSV file; raise RosterError listing every problem (one line each)."""
    label = path.name
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise RosterError([f"{label} line {line}: not UTF-8 (byte 0x{raw[error.start]:02x}); save the file as "
                           "'CSV UTF-8' and import it again"]) from None
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise RosterError([f"{label} line 1: no header row; the first line names the columns (id, first_name, "
                           "last_name, email)"])
    header = rows[0]
    columns, problems = _columns(header, label)
    if problems:
        raise RosterError(problems)
    entries: list[RosterEntry] = []
    first_line: dict[str, int] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue  # blank line
        if len(row) > len(header):
            problems.append(f"{label} line {line}: {len(row)} fields but the header has {len(header)} "
                            "(a comma inside a name needs quotes)")
            continue
        row = row + [""] * (len(header) - len(row))
        entry = RosterEntry(*(row[columns[field]].strip() if field in columns else ""
                              for field in ("id", "first_name", "last_name", "email")))
        row_problems = _row_problems(entry)
        folded = entry.id.casefold()
        if entry.id and folded in first_line:
            row_problems.append(f"student id '{entry.id}' is already on line {first_line[folded]}")
        elif entry.id:
            first_line[folded] = line
        problems += [f"{label} line {line}: {problem}" for problem in row_problems]
        entries.append(entry)
    if problems:
        raise RosterError(problems)
    if not entries:
        raise RosterError([f"{label}: no students below the header"])
    return entries


def import_roster(course: Course, path: Path) -> list[RosterEntry]:
    """Check `path` whole, then create or update each student's names and email in the gradebook."""
    entries = read_roster(path)
    course.api()  # creates the gradebook's folder
    with Gradebook(course.coursedir.db_url) as gradebook:
        for entry in entries:
            gradebook.update_or_create_student(entry.id, first_name=entry.first_name or None,
                                               last_name=entry.last_name or None, email=entry.email or None)
    return entries


def gradebook_roster(course: Course) -> list[RosterEntry]:
    """Every student in the gradebook with the names and email it holds (empty when unknown), by id."""
    course.api()
    with Gradebook(course.coursedir.db_url) as gradebook:
        return sorted((RosterEntry(s.id, s.first_name or "", s.last_name or "", s.email or "")
                       for s in gradebook.students), key=lambda entry: entry.id)


def roster_lines(entries: list[RosterEntry]) -> list[str]:
    """The roster as aligned text lines (id, last name, first name, email), header first."""
    rows = [("id", "last name", "first name", "email")]
    rows += [(e.id, e.last_name or "-", e.first_name or "-", e.email or "(no email)") for e in entries]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return ["  ".join([*(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)), row[3]]).rstrip()
            for row in rows]
