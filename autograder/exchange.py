"""nbgrader's exchange for this course: create its root, release lessons, collect, release feedback.

Thin wrappers around nbgrader's own exchange classes (never a copy of them) for what its CLI does
badly for a course of seven lessons: it releases and collects one assignment per command, creates
the root only as a side effect of a release (without the sticky bit), collects without saying who
is late or missing, and stops at the first feedback folder that did not come through the exchange
(a demo or LMS submission has no `submission_secret.txt`).
"""

import os
import pwd
import stat
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.auth import Authenticator
from nbgrader.coursedir import CourseDirectory
from nbgrader.exchange import ExchangeError
from nbgrader.exchange.default import ExchangeCollect, ExchangeReleaseAssignment, ExchangeReleaseFeedback
from nbgrader.utils import parse_utc

from autograder.course import Course
from autograder.lms import Lateness, late_note
from autograder.roster import STUDENT_ID

# World-writable with the sticky bit, like /tmp: every student can create their submission folder
# under <root>/<course>/inbound, nobody can delete or rename a folder someone else created.
# nbgrader's docs ask for `chmod ugo+rw`; its release step accepts this mode (it compares rwx bits).
EXCHANGE_ROOT_MODE = 0o1777
SECRET_FILE = "submission_secret.txt"


class RefusingCollect(ExchangeCollect):
    """nbgrader's collect, never taking an inbound entry that `inbound_hand_ins` refused."""

    refused: frozenset[str] = frozenset()

    def _path_to_record(self, path: str) -> dict:
        name = os.path.basename(path)
        if name in self.refused:  # ranked oldest of all, so a student's well-formed hand-in is the one taken
            return {"username": name.split("+", 1)[0], "filename": name, "timestamp": datetime.min}
        return super()._path_to_record(path)


class ExchangeSetupError(RuntimeError):
    """The exchange root cannot be created or given the mode nbgrader needs."""


@dataclass
class Collected:
    """What one collect found for an assignment: who handed in, who was late, who is missing."""

    assignment: str
    students: list[str] = field(default_factory=list)
    from_exchange: list[str] = field(default_factory=list)
    late: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    not_on_roster: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """A summary for the instructor, one line per fact."""
        lines = [f"{self.assignment}: {len(self.from_exchange)} submissions collected from the exchange"
                 + (f" ({', '.join(self.from_exchange)})" if self.from_exchange else "")]
        earlier = [student for student in self.students if student not in self.from_exchange]
        if earlier:
            lines.append(f"{self.assignment}: already in submitted/, not from the exchange now "
                         f"(an LMS zip-collect, an earlier collect): {', '.join(earlier)}")
        lines += [f"{self.assignment}: {student} {note}" for student, note in sorted(self.late.items())]
        if self.missing:
            lines.append(f"{self.assignment}: missing (on the roster, nothing handed in): {', '.join(self.missing)}")
        if self.not_on_roster:
            lines.append(f"{self.assignment}: handed in but not on the roster: {', '.join(self.not_on_roster)}: "
                         "check the id, or add them with `python -m autograder roster import`")
        lines += [f"{self.assignment}: not collected: inbound/{name}: {why}" for name, why in self.refused.items()]
        return lines


def exchange_root(course: Course) -> Path:
    """The exchange root this course's configuration names (COURSE_EXCHANGE_ROOT, else nbgrader's default)."""
    return Path(course.config.Exchange.root)


def init_exchange(root: Path) -> str:
    """Create the exchange root (mode 1777) or fix the mode of an existing one; say what was done."""
    try:
        if not root.exists():
            root.mkdir(parents=True)
            os.chmod(root, EXCHANGE_ROOT_MODE)
            return f"created the exchange {root} (drwxrwxrwt)"
        if not root.is_dir():
            raise ExchangeSetupError(f"{root} exists and is not a folder: remove it or set COURSE_EXCHANGE_ROOT")
        if stat.S_IMODE(root.stat().st_mode) != EXCHANGE_ROOT_MODE:
            os.chmod(root, EXCHANGE_ROOT_MODE)
            return f"set the exchange {root} to drwxrwxrwt"
        return f"the exchange {root} is ready (drwxrwxrwt)"
    except PermissionError as error:
        raise ExchangeSetupError(f"cannot prepare {root} ({error.strerror}): run this once as root "
                                 "(sudo), or set COURSE_EXCHANGE_ROOT to a folder you own") from None


def _step(course: Course, step: type, assignment: str, **traits: object):
    """One of nbgrader's exchange steps for one assignment of this course, configured as the course says."""
    coursedir = CourseDirectory(config=course.config)
    coursedir.assignment_id = assignment
    return step(coursedir=coursedir, authenticator=Authenticator(config=course.config), config=course.config,
                **traits)


def release_lessons(course: Course, assignments: list[str], force: bool = False) -> list[str]:
    """Copy the student version of each assignment into the exchange's outbound folder; one line each.

    An assignment already released stays as it is unless `force` (a fixed lesson released again:
    students who fetched it keep their copy; nbgrader never overwrites a fetched folder).
    """
    lines = []
    for assignment in assignments:
        if (exchange_root(course) / course.coursedir.course_id / "outbound" / assignment).is_dir() and not force:
            lines.append(f"{assignment}: already released (--force to release it again)")
            continue
        try:
            _step(course, ExchangeReleaseAssignment, assignment, force=force).start()
        except ExchangeError as error:
            raise ExchangeSetupError(f"{assignment}: {error}") from None
        lines.append(f"{assignment}: released to {exchange_root(course) / course.coursedir.course_id / 'outbound'}")
    return lines


def _duedate(course: Course, assignment: str) -> datetime | None:
    with Gradebook(course.coursedir.db_url) as gradebook:
        try:
            return gradebook.find_assignment(assignment).duedate
        except MissingEntry:
            return None


def _roster(course: Course) -> list[str]:
    with Gradebook(course.coursedir.db_url) as gradebook:
        return sorted(student.id for student in gradebook.students)


def _owner(path: Path) -> str:
    try:
        return pwd.getpwuid(path.lstat().st_uid).pw_name
    except KeyError:
        return str(path.lstat().st_uid)


# The accounts a student's hand-in may come from: an account named as the student, or The Littlest
# JupyterHub's `jupyter-<name>` account for JupyterHub user `<name>`.
STUDENT_ACCOUNTS = ("{}", "jupyter-{}")


def may_hand_in_for(account: str, student: str, collector: str) -> bool:
    """Whether the Unix account `account` may hand in as `student` (its own account, or the collector's)."""
    return account == collector or account in {pattern.format(student) for pattern in STUDENT_ACCOUNTS}


def inbound_hand_ins(inbound: Path, assignment: str) -> tuple[set[str], dict[str, str]]:
    """The students with a well-formed hand-in of `assignment` in the inbound folder, and why others are refused.

    Every student can write to the inbound folder, so an entry may be anything: nbgrader's collect
    stops at a name whose time does not parse, would take `..` as a student, and only warns when a
    hand-in claims a student other than the Unix user who made it. Those are refused here and named,
    left where they are; a hand-in made by the collecting user (one Unix user for the whole class,
    as on a single-user server) is trusted.
    """
    students, refused = set(), {}
    collector = pwd.getpwuid(os.getuid()).pw_name
    for entry in sorted(inbound.glob(f"*+{assignment}+*")):
        student, _, stamp = [*entry.name.rsplit("+", 3), "", ""][:3]
        try:
            parse_utc(stamp)
        except (ValueError, OverflowError, TypeError):
            refused[entry.name] = "its time is not nbgrader's"
            continue
        if not STUDENT_ID.fullmatch(student):
            refused[entry.name] = "not a student id"
        elif entry.is_symlink() or not entry.is_dir():
            refused[entry.name] = "not a folder"
        elif not may_hand_in_for(_owner(entry), student, collector):
            refused[entry.name] = f"handed in by the Unix user {_owner(entry)}, not by {student}"
        else:
            students.add(student)
    return students, refused


def collect(course: Course, assignment: str) -> Collected:
    """Collect the latest submission of every student (resubmissions replace earlier ones) and say
    who handed in late (after the due date set in the gradebook), who on the roster is missing,
    and which entries of the inbound folder were refused (`inbound_hand_ins`)."""
    course.api()  # creates the gradebook's folder, where nbgrader looks up the due date
    inbound = exchange_root(course) / course.coursedir.course_id / "inbound"
    if not inbound.is_dir():
        raise ExchangeSetupError(f"{assignment}: nothing released yet ({inbound} does not exist): "
                                 "run `python -m autograder exchange release` first")
    handed_in, refused = inbound_hand_ins(inbound, assignment)
    for student in sorted(handed_in):
        step = _step(course, RefusingCollect, assignment, update=True)
        step.coursedir.student_id, step.refused = student, frozenset(refused)
        try:
            step.start()
        except ExchangeError as error:
            raise ExchangeSetupError(f"{assignment}: {error}") from None
    coursedir, submitted = course.coursedir, course.folder("submitted")
    duedate = _duedate(course, assignment)
    found = Collected(assignment, from_exchange=sorted(handed_in), refused=refused)
    found.students = sorted(folder.parent.name for folder in submitted.glob(f"*/{assignment}") if folder.is_dir())
    for student in found.students:
        handed_in_at = coursedir.get_existing_timestamp(str(submitted / student / assignment))
        if duedate and handed_in_at and handed_in_at.replace(tzinfo=None) > duedate:
            seconds = (handed_in_at.replace(tzinfo=None) - duedate).total_seconds()
            found.late[student] = late_note(Lateness(seconds, duedate))
    roster = _roster(course)
    found.missing = [student for student in roster if student not in found.students]
    found.not_on_roster = [student for student in found.from_exchange if roster and student not in roster]
    return found


def release_feedback(course: Course, assignment: str) -> list[str]:
    """Put each exchange submission's feedback where only its author can fetch it; one line per student.

    Feedback of a submission that did not come through the exchange (no submission secret) is
    listed to be handed back another way instead of stopping the release.
    """
    lines = []
    for folder in sorted(course.folder("feedback").glob(f"*/{assignment}")):
        student = folder.parent.name
        if not list(folder.glob("*.html")):
            continue
        if not (folder / SECRET_FILE).is_file():
            lines.append(f"{assignment}: {student} did not hand in through the exchange: "
                         f"send {folder}/*.html another way")
            continue
        step = _step(course, ExchangeReleaseFeedback, assignment)
        step.coursedir.student_id = student
        try:
            step.start()
        except ExchangeError as error:
            raise ExchangeSetupError(f"{assignment}: {error}") from None
        lines.append(f"{assignment}: feedback released for {student}")
    return lines
