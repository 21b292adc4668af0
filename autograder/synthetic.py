"""A synthetic class: hundreds of students whose answers mix the demo class's, exercise by exercise.

Each demo student is an answer *variant* (in this course ada: the instructor's solutions, ben: typical
misconceptions, cleo: blank, dev: crashes, eve: partly right). An *exercise* is one graded test cell
together with the solution cells it tests, those between the previous graded test cell and it. A
synthetic student answers each exercise as one variant, drawn from a seeded generator, so the outcome
of every exercise is known in advance: the demo student's outcome on that exercise. The draws and the
missing submissions go to `ground-truth.csv`; a report built from grading the class can be compared
with it count for count. Grading the class is also the scale test of the parallel grader
(`benchmarks/synthetic_class.py`).

That holds only while a variant's answer to one exercise cannot change another exercise's outcome.
Where an answer reads names that another exercise defines (lesson 6's Xavier and Kaiming call
exercise 1's `fans`, `uniform` and `normal`), `couplings.toml` in the demo folder says which variants
may go together, and the sampler draws only those combinations. Before writing anything, every answer
and test cell is read for names it uses from another exercise: a use that no coupling declares stops
the build. What reading cannot see (a crash that stops the kernel, random state, a clobbered module) was
checked by grading: mixes of all seven lessons in which crashes (dev's `1 / 0`, SystemExit,
KeyboardInterrupt, a missing import, runaway recursion) come before correct answers, and every
coupling broken once, compared test cell by test cell (score and message) with the demo students;
`tests/autograder/test_synthetic.py` grades a mixed class of lesson 1 against the golden scores.
Every score and every named mistake matched, and each broken coupling changed its exercise's outcome.
One message differs in digits only: dev's lesson 6 exercise 4 leaves a layer at its random default,
and the message quotes that layer's standard deviation, which depends on the random state the earlier
answers leave behind.
"""

import shutil
import symtable
import tomllib
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd

from autograder.course import Course
from autograder.demo import answer_file_sources, fill_answers, load_roster, solution_sources

# Shares of the variants in the class as a whole: mostly correct, common misconceptions, some blanks, a few crashes.
DEFAULT_WEIGHTS = {"ada": 0.55, "ben": 0.2, "eve": 0.12, "cleo": 0.08, "dev": 0.05}
MISSING = "missing"  # the variant recorded for every exercise of a submission that was not handed in
GROUND_TRUTH_COLUMNS = ["student", "assignment", "notebook", "exercise", "variant"]
SUBMITTED_AT = "2026-11-20 12:00:00.000000 UTC\n"


@dataclass(frozen=True)
class Exercise:
    """One graded test cell of a notebook and the solution cells it tests."""

    notebook: str  # the notebook's name without .ipynb
    test: str  # the test cell's grade_id
    solutions: tuple[str, ...]  # the solution cells' grade_ids


@dataclass(frozen=True)
class Coupling:
    """Exercise `exercise` answered as one of `variants` needs exercise `needs` answered as one of `needs_variants`."""

    assignment: str
    exercise: str
    variants: frozenset[str]
    needs: str
    needs_variants: frozenset[str]
    reason: str

    def forbids(self, assignment: str, chosen: Mapping[str, str], exercise: str, variant: str) -> bool:
        """Whether answering `exercise` as `variant` breaks this coupling, given the variants `chosen` so far."""
        return (assignment == self.assignment and exercise == self.exercise and variant in self.variants
                and self.needs in chosen and chosen[self.needs] not in self.needs_variants)


def notebook_exercises(source_notebook: Path) -> list[Exercise]:
    """The exercises of one source notebook, in order; a solution cell after the last test cell is an error."""
    notebook = nbformat.read(source_notebook, as_version=4)
    exercises, pending = [], []
    for cell in notebook.cells:
        grading = cell.metadata.get("nbgrader", {})
        if grading.get("solution"):
            pending.append(grading["grade_id"])
        elif grading.get("grade"):
            exercises.append(Exercise(source_notebook.stem, grading["grade_id"], tuple(pending)))
            pending = []
    if pending:
        raise ValueError(f"{source_notebook.name}: solution cells {pending} come after the last graded test cell")
    return exercises


def load_couplings(path: Path) -> list[Coupling]:
    """Read couplings.toml (one [[coupling]] table each); no file means no couplings."""
    if not path.is_file():
        return []
    with path.open("rb") as handle:
        entries = tomllib.load(handle).get("coupling", [])
    return [Coupling(entry["assignment"], entry["exercise"], frozenset(entry["variants"]), entry["needs"],
                     frozenset(entry["needs_variants"]), entry["reason"]) for entry in entries]


def variant_answers(course: Course, demo_folder: Path, assignment: str) -> dict[str, dict[str, str]]:
    """Each demo student's answers to one assignment (grade_id -> source); a student without answers is left out."""
    answers = {}
    for student in load_roster(demo_folder / "roster.toml"):
        answer_file = demo_folder / assignment / f"{student.id}.py"
        if student.answers == "solutions":
            answers[student.id] = {grade_id: source for notebook in course.source_notebooks(assignment)
                                   for grade_id, source in solution_sources(notebook).items()}
        elif student.answers == "blank":
            answers[student.id] = {}
        elif answer_file.is_file():
            answers[student.id] = answer_file_sources(answer_file)
    return answers


def _names(source: str) -> tuple[set[str], set[str]]:
    """(names a cell binds at top level, global names it reads anywhere) of Python source."""
    try:
        table = symtable.symtable(source, "<cell>", "exec")
    except SyntaxError:
        return set(), set()
    symbols = table.get_symbols()
    bound = {s.get_name() for s in symbols if s.is_assigned() or s.is_imported() or s.is_namespace()}
    read = {s.get_name() for s in symbols if s.is_referenced()}
    scopes = list(table.get_children())
    while scopes:
        scope = scopes.pop()
        read |= {s.get_name() for s in scope.get_symbols() if s.is_global() and s.is_referenced()}
        scopes.extend(scope.get_children())
    return bound, read


def _cell_sources(notebook: Path) -> dict[str, str]:
    """grade_id -> source of every nbgrader cell of a notebook."""
    cells = nbformat.read(notebook, as_version=4).cells
    return {cell.metadata["nbgrader"]["grade_id"]: cell.source
            for cell in cells if cell.metadata.get("nbgrader", {}).get("grade_id")}


def undeclared_reads(course: Course, demo_folder: Path, assignment: str, couplings: Iterable[Coupling]) -> list[str]:
    """Answers or test cells of `assignment` that read what an earlier exercise defines, with no coupling declared."""
    answers = variant_answers(course, demo_folder, assignment)
    declared = {(c.exercise, variant, c.needs)
                for c in couplings if c.assignment == assignment for variant in c.variants}
    problems = []
    for source_notebook in course.source_notebooks(assignment):
        blank = _cell_sources(course.folder("release") / assignment / source_notebook.name)
        tests = _cell_sources(source_notebook)  # with the hidden tests
        exercises = notebook_exercises(source_notebook)
        defined = [set().union(*(_names(sources.get(grade_id, blank[grade_id]))[0]
                                 for sources in answers.values() for grade_id in exercise.solutions))
                   for exercise in exercises]
        for position, exercise in enumerate(exercises):
            _, test_reads = _names(tests[exercise.test])
            for variant, sources in answers.items():
                cell_names = [_names(sources.get(grade_id, blank[grade_id])) for grade_id in exercise.solutions]
                own = set().union(*(bound for bound, _ in cell_names))
                reads = (test_reads | set().union(*(read for _, read in cell_names))) - own
                for earlier, names in zip(exercises[:position], defined[:position], strict=True):
                    used = reads & names
                    if used and (exercise.test, variant, earlier.test) not in declared:
                        problems.append(f"{assignment} {exercise.test} ({variant}) reads {sorted(used)}, which "
                                        f"{earlier.test} defines: declare a coupling")
    return problems


def _generator(seed: int, *keys: int) -> np.random.Generator:
    return np.random.default_rng([seed, *keys])


def _key(name: str) -> int:
    """A stable number for a name, so that each assignment's draws do not depend on which others are drawn."""
    return zlib.crc32(name.encode())


def student_ids(students: int) -> list[str]:
    """s001, s002, ...: zero-padded to at least three digits."""
    width = max(3, len(str(students)))
    return [f"s{number:0{width}d}" for number in range(1, students + 1)]


def plan_class(course: Course, demo_folder: Path, students: int = 300, seed: int = 0,
               assignments: list[str] | None = None, weights: Mapping[str, float] | None = None,
               missing: float = 0.05, concentration: float | None = 10.0) -> pd.DataFrame:
    """Draw the class: one row per student, assignment and exercise, with the variant answered (or MISSING).

    Each student gets their own shares of the variants, drawn from a Dirichlet distribution centred on
    `weights` (`concentration` sets how alike students are; None makes every student draw from `weights`
    itself), so a strong student is strong across exercises as in a real class. Each submission is left
    out with probability `missing`. A student's draws for an assignment depend only on the seed, the
    student's number and the assignment's name.
    """
    weights = dict(DEFAULT_WEIGHTS if weights is None else weights)
    if not 0 <= missing <= 1:
        raise ValueError(f"missing is a probability, between 0 and 1; got {missing}")
    roster = [student.id for student in load_roster(demo_folder / "roster.toml")]
    unknown = set(weights) - set(roster)
    if unknown or any(share < 0 for share in weights.values()) or not sum(weights.values()) > 0:
        raise ValueError(f"weights must give non-negative shares, not all zero, to demo students {roster}; "
                         f"got {weights}")
    couplings = load_couplings(demo_folder / "couplings.toml")
    assignments = assignments or course.assignments()
    base = np.array([weights.get(variant, 0.0) for variant in roster])
    drawn = base > 0
    answered = {assignment: set(variant_answers(course, demo_folder, assignment)) for assignment in assignments}
    exercises = {assignment: [exercise for notebook in course.source_notebooks(assignment)
                              for exercise in notebook_exercises(notebook)] for assignment in assignments}
    rows = []
    for number, student in enumerate(student_ids(students), start=1):
        shares = base / base.sum()
        if concentration is not None:
            shares = np.zeros(len(roster))
            shares[drawn] = _generator(seed, number).dirichlet(concentration * base[drawn] / base.sum())
        for assignment in assignments:
            generator = _generator(seed, number, _key(assignment))
            handed_in = generator.random() >= missing
            chosen: dict[str, str] = {}
            for exercise in exercises[assignment]:
                variant = MISSING
                if handed_in:
                    variant = _draw(generator, roster, shares, assignment, exercise.test, chosen, couplings,
                                    answered[assignment])
                    chosen[exercise.test] = variant
                rows.append([student, assignment, exercise.notebook, exercise.test, variant])
    return pd.DataFrame(rows, columns=GROUND_TRUTH_COLUMNS)


def _draw(generator: np.random.Generator, roster: list[str], shares: np.ndarray, assignment: str, exercise: str,
          chosen: Mapping[str, str], couplings: list[Coupling], answered: set[str]) -> str:
    """One variant for `exercise`, among those that have answers and keep every coupling with the earlier choices."""
    allowed = [index for index, variant in enumerate(roster) if variant in answered
               and not any(c.forbids(assignment, chosen, exercise, variant) for c in couplings)]
    if not allowed:
        raise ValueError(f"{assignment} {exercise}: no variant keeps the couplings with {dict(chosen)}")
    odds = shares[allowed]
    odds = odds / odds.sum() if odds.sum() > 0 else np.full(len(allowed), 1 / len(allowed))
    return roster[allowed[generator.choice(len(allowed), p=odds)]]


def write_class(course: Course, demo_folder: Path, plan: pd.DataFrame) -> list[tuple[str, str]]:
    """Write the submissions a plan describes into the submitted folder; return the (student, assignment) pairs.

    Each student's folder is replaced; rows whose variant is MISSING write nothing.
    """
    submitted, written = course.folder("submitted"), []
    answers = {assignment: variant_answers(course, demo_folder, assignment)
               for assignment in plan["assignment"].unique()}
    for student in plan["student"].unique():
        shutil.rmtree(submitted / student, ignore_errors=True)
    solutions = {(assignment, notebook.stem): {exercise.test: exercise.solutions
                                               for exercise in notebook_exercises(notebook)}
                 for assignment in answers for notebook in course.source_notebooks(assignment)}
    for (student, assignment), rows in plan.groupby(["student", "assignment"], sort=False):
        if (rows["variant"] == MISSING).any():
            continue
        target = submitted / student / assignment
        target.mkdir(parents=True)
        for notebook, exercises in rows.groupby("notebook", sort=False):
            filled = {grade_id: answers[assignment][row.variant][grade_id]
                      for row in exercises.itertuples() for grade_id in solutions[assignment, notebook][row.exercise]
                      if grade_id in answers[assignment][row.variant]}
            release_notebook = course.folder("release") / assignment / f"{notebook}.ipynb"
            nbformat.write(fill_answers(release_notebook, filled), target / f"{notebook}.ipynb")
        (target / "timestamp.txt").write_text(SUBMITTED_AT)
        written.append((student, assignment))
    return written


def build_synthetic_class(course: Course, demo_folder: Path, students: int = 300, seed: int = 0,
                          assignments: list[str] | None = None, weights: Mapping[str, float] | None = None,
                          missing: float = 0.05, concentration: float | None = 10.0) -> pd.DataFrame:
    """Draw a synthetic class (see `plan_class`), write its submissions and ground-truth.csv; return the ground truth.

    Refuses (ValueError) when an answer reads what another exercise defines and no coupling declares it.
    ground-truth.csv goes beside the submitted folder, with grades.csv.
    """
    couplings = load_couplings(demo_folder / "couplings.toml")
    problems = [problem for assignment in assignments or course.assignments()
                for problem in undeclared_reads(course, demo_folder, assignment, couplings)]
    if problems:
        raise ValueError("answers are not independent across exercises:\n" + "\n".join(problems))
    plan = plan_class(course, demo_folder, students, seed, assignments, weights, missing, concentration)
    write_class(course, demo_folder, plan)
    plan.to_csv(ground_truth_path(course), index=False)
    return plan


def ground_truth_path(course: Course) -> Path:
    """Where build_synthetic_class writes the ground truth: beside the submitted folder."""
    return course.folder("submitted").parent / "ground-truth.csv"
