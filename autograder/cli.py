"""`python -m autograder`: release student versions, build the demo class, grade, report.

Every line printed goes through `notes.printable`: names and notes may come from submissions.
"""

import argparse
import sys
from pathlib import Path

import pandas as pd

from autograder.course import Course, find_config
from autograder.demo import build_demo_class
from autograder.exchange import (
    ExchangeSetupError,
    collect,
    exchange_root,
    init_exchange,
    release_feedback,
    release_lessons,
)
from autograder.extras import grader_missing_message
from autograder.grading import find_submissions, grade_submissions
from autograder.insights import write_insights
from autograder.lms import LAYOUTS, export_grades
from autograder.mutation import check_lesson
from autograder.mutation.corpus import named_share, verdict_problem
from autograder.mutation.report import markdown_report, summary_table
from autograder.notes import printable
from autograder.release import release, stale_notebooks
from autograder.report import score_table, submission_scores, write_reports
from autograder.roster import RosterError, gradebook_roster, import_roster, roster_lines
from autograder.synthetic import DEFAULT_WEIGHTS, MISSING, build_synthetic_class, ground_truth_path
from autograder.zip_collect import PATTERNS, ZipCollectError, zip_collect


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


def _demo_folder(args: argparse.Namespace) -> Path:
    """--demo-folder, else demo_class/ beside the config, else in autograder/ beside it."""
    if args.demo_folder:
        return Path(args.demo_folder)
    config_folder = find_config(args.config).parent
    beside = [config_folder / "demo_class", config_folder / "autograder" / "demo_class"]
    return next((folder for folder in beside if folder.is_dir()), beside[0])


def _demo(course: Course, args: argparse.Namespace) -> int:
    demo_folder = _demo_folder(args)
    pairs = build_demo_class(course, demo_folder)
    students = sorted({student for student, _ in pairs})
    print(f"demo class: {len(pairs)} submissions from {len(students)} students -> {course.folder('submitted')}")
    if (demo_folder / "roster.csv").is_file():
        names = import_roster(course, demo_folder / "roster.csv")
        print(printable(f"demo roster: {len(names)} names and emails -> {course.coursedir.db_url}"))
    return 0


def _report(course: Course, failed: set[tuple[str, str]] = frozenset()) -> None:
    print(score_table(submission_scores(course, failed)))
    for kind, path in write_reports(course, course.folder("submitted").parent, failed).items():
        print(printable(f"{kind}: {path}"))
    print(printable(f"feedback: {course.folder('feedback')}/<student>/<assignment>/*.html"))
    _insights(course, failed)


def _insights(course: Course, failed: set[tuple[str, str]] = frozenset(), top: int = 5) -> None:
    paths = write_insights(course, course.folder("submitted").parent / "insights", failed)
    misconceptions = pd.read_csv(paths["misconceptions"], keep_default_na=False)
    if len(misconceptions):
        print(f"most frequent mistakes (of {len(misconceptions)}):")
    for row in misconceptions.head(top).itertuples():
        print(printable(f"  {row.count:3d}  {row.assignment} {row.exercise}: {row.misconception}"))
    tables = ", ".join(path.name for kind, path in paths.items() if kind != "report")
    print(printable(f"class report: {paths['report']} (tables: {tables})"))


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


def _mutants(course: Course, args: argparse.Namespace) -> int:
    tests = course.root / "tests" / "notebooks"
    declarations = Path(args.declarations) if args.declarations else tests / "mutants"
    answers = Path(args.answers) if args.answers else tests / "answers"
    scores, problems = [], []
    for assignment in args.assignments or course.assignments():
        for notebook in course.source_notebooks(assignment):
            check = check_lesson(notebook, declarations / f"{assignment}.toml", answers / f"{assignment}.toml",
                                 exercise=args.exercise, timeout=args.timeout,
                                 progress=lambda text: print(text, file=sys.stderr) if args.verbose else None)
            scores += check.scores
            problems += [p for s in check.scores for p in s.problems()]
            for answer in check.answers:
                problem = verdict_problem(answer, check.answer_results.get(answer.variant.id))
                if problem:
                    problems.append(f"{assignment}: {problem}")
            named, wrong = named_share(check.answers, check.answer_results)
            if wrong:
                print(f"{assignment}: the visible checks name {named}/{wrong} wrong corpus answers")
    report = Path(args.report) if args.report else course.root / "test-artifacts" / "mutation-report.md"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(markdown_report(scores))
    print(summary_table(scores))
    print(f"report: {report}")
    for problem in problems:
        print(f"problem: {problem}")
    return 1 if problems else 0


def _roster(course: Course, args: argparse.Namespace) -> int:
    if args.action == "import":
        if not args.file:
            print("roster import needs a CSV file: python -m autograder roster import roster.csv", file=sys.stderr)
            return 2
        try:
            entries = import_roster(course, Path(args.file))
        except (RosterError, OSError) as error:
            problems = error.problems if isinstance(error, RosterError) else [f"cannot read {args.file}: {error}"]
            for problem in problems:
                print(printable(problem), file=sys.stderr)
            print("nothing imported: fix the lines above and import the file again", file=sys.stderr)
            return 1
        print(printable(f"imported {len(entries)} students from {args.file}"))
        return 0
    entries = gradebook_roster(course)
    for line in roster_lines(entries) if entries else ["(no students in the gradebook)"]:
        print(printable(line))
    return 0


def _export(course: Course, args: argparse.Namespace) -> int:
    output = Path(args.output) if args.output else course.folder("submitted").parent / f"grades-{args.lms}.csv"
    export = export_grades(course, args.lms, output)
    for warning in export.warnings:
        print(printable(f"warning: {warning}"), file=sys.stderr)
    print(printable(f"{args.lms}: {export.path}"))
    print(printable(f"notes (missing, failed, late, left out): {export.notes_path}"))
    return 0


def _exchange(course: Course, args: argparse.Namespace) -> int:
    assignments = args.assignments or course.assignments()
    try:
        if args.action in ("init", "release"):
            print(printable(init_exchange(exchange_root(course))))
        if args.action == "release":
            release(course, assignments)  # current student versions, and the gradebook knows their tests
            lines = release_lessons(course, assignments, force=args.force)
        elif args.action == "collect":
            lines = [line for assignment in assignments for line in collect(course, assignment).lines()]
        elif args.action == "feedback":
            lines = [line for assignment in assignments for line in release_feedback(course, assignment)]
        else:
            lines = []
    except ExchangeSetupError as error:
        print(printable(str(error)), file=sys.stderr)
        return 1
    for line in lines:
        print(printable(line))
    return 0


def _zip_collect(course: Course, args: argparse.Namespace) -> int:
    try:
        collected = zip_collect(course, args.assignment, [Path(path) for path in args.downloads], args.lms)
    except (ZipCollectError, OSError) as error:
        print(printable(f"nothing collected: {error}"), file=sys.stderr)
        return 1
    for line in collected.lines(course.root):
        print(printable(line))
    return 1 if collected.skipped else 0


def _insights_command(course: Course, args: argparse.Namespace) -> int:
    _insights(course, top=args.top)
    return 0


def _report_command(course: Course, args: argparse.Namespace) -> int:
    _report(course)
    return 0


def _share(text: str) -> tuple[str, float]:
    name, _, share = text.partition("=")
    try:
        return name, float(share)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected STUDENT=SHARE such as ben=0.2, got {text!r}") from None


def _synthetic(course: Course, args: argparse.Namespace) -> int:
    demo_folder = _demo_folder(args)
    weights = {**DEFAULT_WEIGHTS, **dict(args.weight)}
    try:
        truth = build_synthetic_class(course, demo_folder, args.students, args.seed, args.assignments or None,
                                      weights=weights, missing=args.missing)
    except ValueError as error:
        for line in f"synthetic class not written: {error}".splitlines():
            print(printable(line), file=sys.stderr)
        return 1
    submissions = truth.drop_duplicates(["student", "assignment"])
    handed_in = int((submissions["variant"] != MISSING).sum())
    print(printable(f"synthetic class: {handed_in} submissions from {args.students} students "
                    f"({len(submissions) - handed_in} not handed in) -> {course.folder('submitted')}"))
    print(printable(f"ground truth: {ground_truth_path(course)}"))
    return 0


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
                          "beside the config, or in autograder/ beside it)")

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

    commands.add_parser("report", help="print the gradebook; write the CSV files and the class report")
    insights_cmd = commands.add_parser("insights", help="write only the class report: mistakes, item statistics, "
                                       "a page per student (work/insights/index.html)")
    insights_cmd.add_argument("--top", type=int, default=10, help="how many mistakes to print (default: 10)")

    mutants_cmd = commands.add_parser("mutants", help="mutation-test each exercise's checks against its answer, "
                                      "and check the answer corpus")
    mutants_cmd.add_argument("assignments", nargs="*", help="lesson folders (default: all)")
    mutants_cmd.add_argument("--exercise", metavar="GRADE_ID", help="only this exercise (a solution cell's grade_id)")
    mutants_cmd.add_argument("--report", metavar="PATH", help="Markdown report (default: "
                             "test-artifacts/mutation-report.md)")
    mutants_cmd.add_argument("--declarations", metavar="DIR", help="equivalent-mutant declarations, "
                             "<DIR>/<lesson>.toml (default: tests/notebooks/mutants)")
    mutants_cmd.add_argument("--answers", metavar="DIR", help="answer corpus, <DIR>/<lesson>.toml "
                             "(default: tests/notebooks/answers)")
    mutants_cmd.add_argument("--timeout", type=float, default=30.0,
                             help="seconds a mutant's cell may run at least (default: 30; 5x the answer's time "
                             "when longer)")
    mutants_cmd.add_argument("--verbose", action="store_true", help="print each mutant as it runs")

    roster_cmd = commands.add_parser("roster", help="import students' names and emails from a CSV file, or list them")
    roster_cmd.add_argument("action", nargs="?", choices=["list", "import"], default="list",
                            help="list (default) or import")
    roster_cmd.add_argument("file", nargs="?", help="roster CSV (id, first_name, last_name, email) for import")

    export_cmd = commands.add_parser("export", help="write grades in the CSV layout an LMS imports")
    export_cmd.add_argument("--lms", choices=LAYOUTS, required=True, help="the LMS whose import layout to write")
    export_cmd.add_argument("--output", metavar="PATH", help="CSV file to write (default: grades-<lms>.csv beside "
                            "grades.csv); the notes file <PATH stem>-notes.csv goes beside it")
    exchange_cmd = commands.add_parser("exchange", help="nbgrader's exchange: create it, release lessons to it, "
                                       "collect from it, release feedback to it (root: COURSE_EXCHANGE_ROOT)")
    exchange_cmd.add_argument("action", choices=["init", "release", "collect", "feedback"],
                              help="init: create the exchange root (mode 1777); release: init, generate the "
                              "student versions (as `release` does) and put them in it; collect: the latest "
                              "submission of each student into the submitted folder, naming who is late or "
                              "missing; feedback: release the graded feedback to the students who submitted")
    exchange_cmd.add_argument("assignments", nargs="*", help="assignment ids (default: all)")
    exchange_cmd.add_argument("--force", action="store_true", help="release again an assignment already released")
    zip_cmd = commands.add_parser("zip-collect", help="collect a lesson's submissions downloaded from an LMS "
                                  "(a zip or the notebooks) into the submitted folder, by the roster's names")
    zip_cmd.add_argument("assignment", help="the lesson the downloads belong to")
    zip_cmd.add_argument("downloads", nargs="+", help="the LMS's zip file(s), or notebooks it named")
    zip_cmd.add_argument("--lms", choices=list(PATTERNS), default="canvas",
                         help="whose file names: canvas (default) or moodle")
    synthetic_cmd = commands.add_parser("synthetic", help="write a synthetic class that mixes the demo students' "
                                        "answers exercise by exercise, with its ground truth")
    synthetic_cmd.add_argument("assignments", nargs="*", help="assignment ids (default: all)")
    synthetic_cmd.add_argument("--students", type=int, default=300, help="class size (default: 300)")
    synthetic_cmd.add_argument("--seed", type=int, default=0, help="seed of every draw (default: 0)")
    synthetic_cmd.add_argument("--missing", type=float, default=0.05,
                               help="chance that a student does not hand an assignment in (default: 0.05)")
    synthetic_cmd.add_argument("--weight", action="append", default=[], type=_share, metavar="STUDENT=SHARE",
                               help="share of a demo student's answers in the class (repeatable; default: "
                               + ", ".join(f"{k}={v}" for k, v in DEFAULT_WEIGHTS.items()) + ")")
    synthetic_cmd.add_argument("--demo-folder", help="folder with roster.toml and couplings.toml "
                               "(default: as for demo)")
    return parser


# Each subcommand's handler: (course, parsed arguments) -> exit status.
COMMANDS = {"release": _release, "demo": _demo, "grade": _grade, "mutants": _mutants, "insights": _insights_command,
            "report": _report_command, "roster": _roster, "export": _export, "synthetic": _synthetic,
            "exchange": _exchange, "zip-collect": _zip_collect}


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit status."""
    args = build_parser().parse_args(argv)
    missing_extra = grader_missing_message()
    if missing_extra:
        print(missing_extra, file=sys.stderr)
        return 2
    return COMMANDS[args.command](Course.load(args.config), args)
