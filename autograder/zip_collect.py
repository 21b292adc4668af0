"""Hand-in through an LMS: nbgrader's zip_collect, with the file names of Canvas's and Moodle's downloads.

An instructor who collects through Canvas ("Download Submissions" on the assignment) or Moodle
("Download all submissions") gets one zip per lesson. nbgrader's zip_collect extracts it under
work/downloaded/<lesson>/ and copies each notebook to work/submitted/<student>/<lesson>/; this
module gives it the file-name patterns of both LMSs and turns the name the LMS put in each file
into the student's id on the course roster (names, not LMS numbers: Moodle numbers students per
assignment). A file that matches no pattern, no student or more than one is skipped with its
reason and stays where it was extracted; the downloaded zip is never changed.
"""

import os
import re
import shutil
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.api import Gradebook
from nbgrader.apps.zipcollectapp import ZipCollectApp
from nbgrader.plugins import FileNameCollectorPlugin
from traitlets import Enum, List

from autograder.course import Course

# Canvas: <sortable name, lower case, letters only>_[LATE_]<user id>_<attachment id>_<file name>[-<n>].ipynb,
# e.g. lovelaceada_LATE_1234_56789_tensors-1.ipynb (Canvas appends -1, -2 to a resubmitted file's name).
# Moodle: <full name>_<participant id>_assignsubmission_file_<file name>, or the same as a folder
# holding the file when "Download submissions in folders" is on.
PATTERNS = {
    "canvas": r".*/(?P<lms_name>[a-z0-9]+)_(?:LATE_)?\d+_(?P<upload>\d+)_(?P<file_id>[^/]+?)(?:-\d+)?\.ipynb$",
    "moodle": r".*/(?P<lms_name>[^/_]+)_\d+_assignsubmission_file_/?(?P<file_id>[^/]+?)\.ipynb$",
}


def name_key(text: str) -> str:
    """A name as both LMSs reduce it: lower case, accents and everything but letters and digits dropped."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", plain.lower())


class RosterCollector(FileNameCollectorPlugin):
    """nbgrader's file-name collector with an LMS's pattern, naming each file's student by the roster."""

    lms = Enum(list(PATTERNS), default_value="canvas", help="whose download layout: canvas or moodle").tag(config=True)
    skipped = List(help="(file, reason) for each file not collected").tag(config=False)
    students = List(help="the students whose files were collected").tag(config=False)

    def _roster(self) -> dict[str, list[str]]:
        keys: dict[str, list[str]] = {}
        with Gradebook(self.parent.coursedir.db_url) as gradebook:
            for student in gradebook.students:
                for order in ((student.last_name, student.first_name), (student.first_name, student.last_name)):
                    key = name_key("".join(part or "" for part in order))
                    if key and student.id not in keys.setdefault(key, []):
                        keys[key].append(student.id)
        return keys

    def _identify(self, path: str, roster: dict[str, list[str]]) -> tuple[dict | None, list[str]]:
        """The pattern's groups for a file name (None if it does not match) and the roster ids it names."""
        found = re.match(self.named_regexp or PATTERNS[self.lms], path)
        return found and found.groupdict(), roster.get(name_key(found["lms_name"]), []) if found else []

    def _latest_uploads(self, roster: dict[str, list[str]]) -> dict[tuple[str, str], str]:
        """(student, notebook) -> the file of the latest upload among the extracted files (Canvas numbers them)."""
        latest: dict[tuple[str, str], tuple[int, str]] = {}
        extracted = self.parent._format_collect_path(self.parent.extracted_directory)
        for folder, _, files in os.walk(extracted):
            for path in sorted(os.path.join(folder, name) for name in files):
                found, students = self._identify(path, roster)
                if found and len(students) == 1:
                    order = (int(found.get("upload") or 0), path)
                    key = (students[0], found["file_id"])
                    latest[key] = max(latest.get(key, order), order)
        return {key: path for key, (_, path) in latest.items()}

    def _skip(self, skipped: tuple[str, str]) -> None:
        self.log.warning("Skipped %s: %s (the file stays there)", *skipped)
        self.skipped.append(skipped)

    def collect(self, submitted_file: str) -> dict | None:
        """The student id and notebook of one extracted file, or None (recorded in `skipped`)."""
        if not submitted_file.endswith(".ipynb"):
            self._skip((submitted_file, "not a notebook"))
            return None
        roster = self._roster()
        found, students = self._identify(submitted_file, roster)
        if not found:
            self._skip((submitted_file, f"the name is not in {self.lms}'s download layout"))
            return None
        if len(students) != 1:
            reason = "no student on the roster has this name" if not students else \
                f"several students on the roster have this name ({', '.join(students)})"
            self._skip((submitted_file, f"{reason}: {found['lms_name']!r}"))
            return None
        latest = self._latest_uploads(roster)[(students[0], found["file_id"])]
        if latest != submitted_file:
            self._skip((submitted_file, f"an earlier upload; the later {os.path.basename(latest)} "
                                 "is collected"))
            return None
        if students[0] not in self.students:
            self.students.append(students[0])
        return {"student_id": students[0], "file_id": found["file_id"]}


@dataclass
class ZipCollected:
    """What a zip collect did: students collected, files skipped with their reason."""

    assignment: str
    students: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def lines(self, root: Path) -> list[str]:
        """A summary for the instructor: who was collected, then one line per skipped file."""
        lines = [f"{self.assignment}: {len(self.students)} students collected"
                 + (f" ({', '.join(self.students)})" if self.students else "")]
        for path, reason in self.skipped:
            shown = Path(path).relative_to(root) if Path(path).is_relative_to(root) else Path(path)
            lines.append(f"{self.assignment}: skipped {shown}: {reason} (the file stays there)")
        return lines


class ZipCollectError(RuntimeError):
    """The downloads cannot be collected (no roster, an unreadable archive, ...)."""


def zip_collect(course: Course, assignment: str, downloads: list[Path], lms: str) -> ZipCollected:
    """Copy LMS downloads into work/downloaded/<assignment>/archive/, then collect them into submitted/."""
    app = ZipCollectApp(config=course.config)
    app.coursedir = course.coursedir
    app.coursedir.assignment_id = assignment
    app.force = True  # extracted/ is rebuilt from archive/; a student's earlier LMS hand-in is replaced
    app.collector_plugin = RosterCollector
    archive = Path(app._format_collect_path(app.archive_directory))
    archive.mkdir(parents=True, exist_ok=True)
    for download in downloads:
        shutil.copy2(download, archive / download.name)
    with Gradebook(course.coursedir.db_url) as gradebook:
        if not gradebook.students:
            raise ZipCollectError("the gradebook has no students: import the roster first "
                                  "(python -m autograder roster import roster.csv)")
    app.init_plugins()
    app.collector_plugin_inst.lms = lms
    try:
        app.extract_archive_files()
    except Exception as error:  # zipfile.BadZipFile, tarfile.ReadError, shutil.ReadError, ...
        raise ZipCollectError(f"cannot extract the downloads in {archive} ({type(error).__name__}: {error}); "
                              "download them again") from None
    app.process_extracted_files()
    plugin = app.collector_plugin_inst
    return ZipCollected(assignment, sorted(plugin.students), list(plugin.skipped))
