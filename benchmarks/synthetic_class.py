"""Grade a synthetic class of a few hundred students with the parallel grader: the grader's scale test.

Builds the class (`python -m autograder synthetic`: the demo students' answers mixed exercise by
exercise) in a throwaway copy of the course, grades it with one worker per core, and prints the
number of submissions, the wall time, the CPU seconds of the grader and its kernels, the seconds per
submission, whether every exercise scored what its demo student scored (the ground truth), and the
time the class report takes, with its most frequent mistakes.
Figures only: nothing here fails. Lesson 1 costs about 8 s of CPU per submission, so 300 students (about
285 submissions) take about 20 minutes on an idle 2-core machine.
Run with `make bench-class`, or e.g. `python benchmarks/synthetic_class.py --students 40 01-tensors 05-xor`.
"""

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

import pandas as pd

from autograder.course import Course
from autograder.grading import grade_submissions
from autograder.insights import write_insights
from autograder.release import release
from autograder.report import exercise_scores
from autograder.synthetic import MISSING, build_synthetic_class

REPO = Path(__file__).resolve().parent.parent
GOLDEN = REPO / "tests" / "autograder" / "golden" / "demo-exercise-scores.csv"


def course_in(root: Path) -> Course:
    """A copy of the course's sources, student versions and demo class in `root`, with its own gradebook."""
    return Course.load(REPO / "autograder" / "nbgrader_config.py").copy_to(root, extra=("autograder/demo_class",))


def cpu_seconds() -> float:
    """CPU time of this process and of every finished process it started (workers, kernels)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lessons", nargs="*", default=["01-tensors"], help="lessons (default: 01-tensors)")
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--report", help="folder to keep the class report in (default: discarded)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="synthetic-class-") as folder:
        course = course_in(Path(folder))
        release(course, args.lessons)
        truth = build_synthetic_class(course, course.root / "autograder" / "demo_class", args.students, args.seed,
                                      args.lessons)
        handed_in = truth[truth["variant"] != MISSING]
        pairs = sorted(set(zip(handed_in["student"], handed_in["assignment"], strict=True)))
        cpu, start = cpu_seconds(), time.perf_counter()
        outcomes = grade_submissions(course, pairs, progress=True, workers=args.workers, resume=False)
        wall, cpu = time.perf_counter() - start, cpu_seconds() - cpu
        golden = pd.read_csv(GOLDEN).rename(columns={"student": "variant", "score": "expected"})
        scores = handed_in.merge(golden, on=["variant", "assignment", "notebook", "exercise"]).merge(
            exercise_scores(course), on=["student", "assignment", "notebook", "exercise"])
        start = time.perf_counter()
        paths = write_insights(course, Path(args.report) if args.report else course.root / "work" / "insights")
        report_seconds = time.perf_counter() - start
        mistakes = pd.read_csv(paths["misconceptions"])
    graded = sum(outcome.status == "graded" for outcome in outcomes)
    print(f"lessons: {' '.join(args.lessons)}; students: {args.students}; workers: {args.workers} "
          f"on {os.cpu_count()} cores")
    not_handed_in = args.students * len(args.lessons) - len(pairs)
    print(f"submissions: {len(pairs)} ({graded} graded; {not_handed_in} not handed in)")
    print(f"wall time: {wall:.1f} s; CPU: {cpu:.1f} s")
    print(f"per submission: {wall / len(pairs):.2f} s wall, {cpu / len(pairs):.2f} s CPU")
    print(f"exercises scoring what their demo student scored: {int((scores['score'] == scores['expected']).sum())}"
          f"/{len(handed_in)}")
    print(f"class report: {report_seconds:.1f} s; most frequent mistakes:")
    for row in mistakes.head(8).itertuples():
        print(f"  {row.count:4d}  {row.assignment} {row.exercise}: {row.misconception}")


if __name__ == "__main__":
    main()
