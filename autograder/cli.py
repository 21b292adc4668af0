"""`python -m autograder`: release student versions, build the demo class, grade, report.

Every line printed goes through `notes.printable`: names and notes may come from submissions.
"""

import argparse
import sys
from pathlib import Path

from autograder.course import Course, find_config
from autograder.demo import build_demo_class
from autograder.grading import find_submissions, grade_submissions
from autograder.notes import printable
from autograder.release import release, stale_notebooks
from autograder.report import score_table, submission_scores, write_reports


def _release(course: Course, args: argparse.Namespace) -> int:
    if args.check:
        stale = stale_notebooks(course)
        for name in stale:
            print(printable(f"stale: {name}"))
        print("student versions are current" if not stale else
              "student versions are stale: run `python -m autograder release`")
        return 1 if stale else 0
    for assignment in release(course, args.assignments or None):
        print(printable(f"released {assignment} -> {course.folder('release') / assignment}"))
    return 0


def _demo(course: Course, args: argparse.Namespace) -> int:
    demo_folder = Path(args.demo_folder) if args.demo_folder else find_config(args.config).parent / "demo_class"
    pairs = build_demo_class(course, demo_folder)
    students = sorted({student for student, _ in pairs})
    print(f"demo class: {len(pairs)} submissions from {len(students)} students -> {course.folder('submitted')}")
    return 0


def _report(course: Course, failed: set[tuple[str, str]] = frozenset()) -> None:
    print(score_table(submission_scores(course, failed)))
    for kind, path in write_reports(course, course.folder("submitted").parent, failed).items():
        print(printable(f"{kind}: {path}"))
    print(printable(f"feedback: {course.folder('feedback')}/<student>/<assignment>/*.html"))


def _grade(course: Course, args: argparse.Namespace) -> int:
    pairs = find_submissions(course, args.assignments or None, args.student or None)
    if not pairs:
        print(printable(f"no submissions found in {course.folder('submitted')}"))
        return 1
    outcomes = grade_submissions(course, pairs, progress=not args.no_progress, workers=args.workers,
                                 resume=not args.regrade, dask=args.dask)
    failed = [o for o in outcomes if o.status == "failed"]
    for outcome in outcomes:
        for note in outcome.notes:
            print(printable(f"note {outcome.student}/{outcome.assignment}: {note}"))
    for outcome in failed:
        print(printable(f"FAILED {outcome.student}/{outcome.assignment}: {outcome.detail}"), file=sys.stderr)
    _report(course, {(o.student, o.assignment) for o in failed})
    return 1 if failed else 0


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    parser.add_argument("--config", help="nbgrader config (default: ./nbgrader_config.py, "
                        "else ./autograder/nbgrader_config.py)")
    commands = parser.add_subparsers(dest="command", required=True)

    release_cmd = commands.add_parser("release", help="generate student versions from the sources")
    release_cmd.add_argument("assignments", nargs="*", help="assignment ids (default: all)")
    release_cmd.add_argument("--check", action="store_true",
                             help="only report student versions that are stale; exit 1 if any")

    demo_cmd = commands.add_parser("demo", help="write the demo class's submissions")
    demo_cmd.add_argument("--demo-folder", help="folder with roster.toml (default: demo_class/ "
                          "beside the config)")

    grade_cmd = commands.add_parser("grade", help="autograde submissions, write feedback and CSV")
    grade_cmd.add_argument("assignments", nargs="*", help="assignment ids (default: all submitted)")
    grade_cmd.add_argument("--student", action="append", help="grade only this student (repeatable)")
    grade_cmd.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    grade_cmd.add_argument("--workers", type=int, help="submissions graded at once (default: one per CPU core)")
    grade_cmd.add_argument("--regrade", action="store_true",
                           help="grade everything again (default: resume, skipping submissions already "
                           "graded with the same files and tests)")
    grade_cmd.add_argument("--dask", metavar="ADDRESS",
                           help="grade on a Dask cluster: a scheduler address such as tcp://host:8786, "
                           "or 'local' for a local cluster of --workers processes")

    commands.add_parser("report", help="print the gradebook and write the CSV files")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit status."""
    args = build_parser().parse_args(argv)
    course = Course.load(args.config)
    if args.command == "release":
        return _release(course, args)
    if args.command == "demo":
        return _demo(course, args)
    if args.command == "grade":
        return _grade(course, args)
    _report(course)
    return 0
