"""Run a lesson's exercises against replacement answers (mutants or a corpus) in one plain Jupyter kernel.

These are the instructor's own notebooks, so the kernel is an ordinary one, not the grading sandbox.
The lesson runs cell by cell. At each exercise (an autograded-answer solution cell and the test
cells that follow it) the original answer runs first and must pass its tests; then, for each
replacement answer, the random number generators are put back to where they were before the
exercise, the replacement runs, and each test cell runs in two parts: its visible check and its
hidden tests. Afterwards the original answer and its tests run again, so the rest of the lesson
sees the state it was written for. A replacement that runs past the time limit is interrupted; a
kernel that does not come back is restarted and the lesson replayed up to the exercise.
"""

import os
import queue
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from jupyter_client.manager import KernelManager

from autograder.course import GRADING_ENVIRONMENT, UNSET_WHILE_GRADING

HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"
HIDDEN_END = "### END HIDDEN TESTS"
CHECK_FAILED = "CheckFailed"

# Kernel-side helpers: save and restore every random number generator a lesson uses.
RNG_SETUP = """
def _mutation_rng_state():
    import random, numpy, torch
    cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None
    return random.getstate(), numpy.random.get_state(), torch.get_rng_state(), cuda

def _mutation_set_rng_state(state):
    import random, numpy, torch
    random.setstate(state[0])
    numpy.random.set_state(state[1])
    torch.set_rng_state(state[2])
    if state[3] is not None:
        torch.cuda.set_rng_state_all(state[3])
"""
RNG_SAVE = "_mutation_saved_rng = _mutation_rng_state()"
RNG_RESTORE = "_mutation_set_rng_state(_mutation_saved_rng)"


@dataclass(frozen=True)
class Variant:
    """A replacement for one exercise's solution cell: a mutant or a corpus answer."""

    id: str
    source: str


@dataclass(frozen=True)
class Outcome:
    """What running one piece of code did: passed, or the error's name and message."""

    error: str = ""
    message: str = ""
    timed_out: bool = False
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        """True when the code ran without an error."""
        return not self.error


@dataclass(frozen=True)
class VariantResult:
    """A replacement answer's fate: what its visible checks and its hidden tests did."""

    variant: Variant
    visible: Outcome
    hidden: Outcome | None  # None when the visible checks already failed

    @property
    def killed(self) -> bool:
        """The tests as a whole failed this answer."""
        return not self.visible.passed or (self.hidden is not None and not self.hidden.passed)

    @property
    def caught_by_visible(self) -> bool:
        """The visible check failed (with any error)."""
        return not self.visible.passed

    @property
    def named(self) -> bool:
        """The visible check failed with a check message (CheckFailed), not a crash."""
        return self.visible.error == CHECK_FAILED


@dataclass
class Exercise:
    """One exercise of a lesson: its solution cell and the cells that test it."""

    grade_id: str
    solution_index: int
    test_indices: list[int]
    source: str


@dataclass
class ExerciseRun:
    """The original answer's outcome and each replacement's result for one exercise."""

    exercise: Exercise
    original: list[Outcome] = field(default_factory=list)
    results: list[VariantResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def original_passes(self) -> bool:
        """The instructor's answer passes all of its tests."""
        return all(outcome.passed for outcome in self.original)


@dataclass
class LessonRun:
    """Every exercise run of one lesson notebook."""

    notebook: Path
    exercises: list[ExerciseRun] = field(default_factory=list)
    seconds: float = 0.0


def _nbgrader(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def is_answer_cell(cell) -> bool:
    """An autograded answer: a code cell nbgrader marks as a solution and not as graded."""
    meta = _nbgrader(cell)
    return cell.cell_type == "code" and bool(meta.get("solution")) and not meta.get("grade")


def is_test_cell(cell) -> bool:
    """An autograded test cell: a graded code cell that is not a solution."""
    meta = _nbgrader(cell)
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def find_exercises(notebook: nbformat.NotebookNode) -> list[Exercise]:
    """Each answer cell with the test cells after it (up to the next answer cell)."""
    exercises: list[Exercise] = []
    for index, cell in enumerate(notebook.cells):
        if is_answer_cell(cell):
            exercises.append(Exercise(_nbgrader(cell)["grade_id"], index, [], cell.source))
        elif is_test_cell(cell) and exercises:
            exercises[-1].test_indices.append(index)
    return [exercise for exercise in exercises if exercise.test_indices]


def split_test(source: str) -> tuple[str, str]:
    """A test cell's visible part and its hidden part (without the markers)."""
    visible, _, rest = source.partition(HIDDEN_BEGIN)
    hidden, _, after = rest.partition(HIDDEN_END)
    return visible, hidden + after


def kernel_environment() -> dict[str, str]:
    """The environment grading kernels run with (offline data, one thread, fixed hash seed), no GUI."""
    environment = dict(os.environ, **GRADING_ENVIRONMENT, MPLBACKEND="Agg")
    for name in UNSET_WHILE_GRADING:
        environment.pop(name, None)
    return environment


class Kernel:
    """A plain Jupyter kernel that runs code with a time limit and reports errors by name."""

    def __init__(self, cwd: Path, environment: dict[str, str]):
        self.cwd, self.environment = cwd, environment
        self.manager: KernelManager | None = None
        self.client = None

    def start(self) -> None:
        """Start (or restart from scratch) the kernel and define the RNG helpers."""
        self.stop()
        self.manager = KernelManager(kernel_name="python3")
        # The kernel's own log (a TCP warning at start) is noise here; errors come back as messages.
        self.manager.start_kernel(cwd=str(self.cwd), env=self.environment, stderr=subprocess.DEVNULL)
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=120)
        outcome = self.run(RNG_SETUP, timeout=60)
        if not outcome.passed:
            raise RuntimeError(f"could not set up the kernel: {outcome.error}: {outcome.message}")

    def stop(self) -> None:
        """Shut the kernel down."""
        if self.client is not None:
            self.client.stop_channels()
        if self.manager is not None and self.manager.has_kernel:
            self.manager.shutdown_kernel(now=True)
        self.manager = self.client = None

    def run(self, code: str, timeout: float) -> Outcome:
        """Execute `code`; on timeout interrupt it and, if it does not stop, raise TimeoutError."""
        started = time.monotonic()
        message_id = self.client.execute(code, store_history=False, allow_stdin=False, stop_on_error=False)
        deadline = started + timeout
        error = message = ""
        interrupted = False
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                if interrupted:
                    raise TimeoutError(f"the kernel did not stop within {timeout:.0f} s after an interrupt")
                self.manager.interrupt_kernel()
                interrupted, deadline = True, time.monotonic() + 10
                continue
            try:
                reply = self.client.get_iopub_msg(timeout=min(remaining, 1.0))
            except queue.Empty:
                continue
            if reply["parent_header"].get("msg_id") != message_id:
                continue
            kind, content = reply["msg_type"], reply["content"]
            if kind == "error" and not error:
                error, message = content["ename"], content["evalue"]
            elif kind == "status" and content["execution_state"] == "idle":
                break
        seconds = time.monotonic() - started
        if interrupted:
            return Outcome("Timeout", f"still running after {timeout:.0f} s", True, seconds)
        return Outcome(error, message, False, seconds)


class LessonRunner:
    """Runs one lesson, trying each exercise's replacement answers (see the module docstring)."""

    def __init__(self, notebook_path: Path, timeout: float = 30.0, progress: Callable[[str], None] | None = None):
        self.path = notebook_path
        self.notebook = nbformat.read(notebook_path, as_version=4)
        self.exercises = find_exercises(self.notebook)
        self.timeout = timeout
        self.progress = progress or (lambda _text: None)
        self.kernel = Kernel(notebook_path.parent, kernel_environment())

    def _cell_timeout(self, reference: float) -> float:
        return max(self.timeout, 5 * reference)

    def _run_prefix(self, stop: int) -> None:
        """Start a fresh kernel and run every code cell before index `stop`, as written."""
        self.kernel.start()
        for cell in self.notebook.cells[:stop]:
            if cell.cell_type == "code":
                outcome = self.kernel.run(cell.source, timeout=max(self.timeout, 600))
                if not outcome.passed:
                    raise RuntimeError(f"{self.path.name}: cell {cell.get('id')} failed: "
                                       f"{outcome.error}: {outcome.message}")

    def _run_tests(self, exercise: Exercise, timeout: float) -> tuple[Outcome, Outcome | None]:
        """Run each test cell's visible part, then its hidden part; stop at the first failure."""
        visible_outcomes, hidden_parts = [], []
        for index in exercise.test_indices:
            visible, hidden = split_test(self.notebook.cells[index].source)
            outcome = self.kernel.run(visible, timeout)
            visible_outcomes.append(outcome)
            if not outcome.passed:
                return outcome, None
            outcome = self.kernel.run(hidden, timeout) if hidden.strip() else Outcome()
            if not outcome.passed:
                return visible_outcomes[-1], outcome
            hidden_parts.append(outcome)
        return Outcome(seconds=sum(o.seconds for o in visible_outcomes)), Outcome(
            seconds=sum(o.seconds for o in hidden_parts))

    def _try(self, exercise: Exercise, variant: Variant, timeout: float) -> VariantResult:
        self.kernel.run(RNG_RESTORE, timeout=60)
        answer = self.kernel.run(variant.source, timeout)
        if not answer.passed:
            # An answer cell that crashes is caught the moment the student runs it, before any check.
            return VariantResult(variant, answer, None)
        visible, hidden = self._run_tests(exercise, timeout)
        return VariantResult(variant, visible, hidden)

    def _run_original(self, exercise: Exercise, timeout: float) -> list[Outcome]:
        outcomes = [self.kernel.run(exercise.source, timeout)]
        visible, hidden = self._run_tests(exercise, timeout)
        return [*outcomes, visible, *([hidden] if hidden else [])]

    def run(self, variants: dict[str, list[Variant]]) -> LessonRun:
        """Run the lesson, trying `variants[grade_id]` at each exercise; return every result."""
        started = time.monotonic()
        lesson = LessonRun(self.path)
        by_index = {exercise.solution_index: exercise for exercise in self.exercises}
        tested = {index for exercise in self.exercises for index in exercise.test_indices}
        self.kernel.start()
        try:
            for index, cell in enumerate(self.notebook.cells):
                if cell.cell_type != "code" or index in tested:
                    continue
                if index in by_index:
                    lesson.exercises.append(self._exercise(by_index[index], variants.get(by_index[index].grade_id, [])))
                    continue
                outcome = self.kernel.run(cell.source, timeout=max(self.timeout, 600))
                if not outcome.passed:
                    raise RuntimeError(f"{self.path.name}: cell {cell.get('id')} failed: "
                                       f"{outcome.error}: {outcome.message}")
        finally:
            self.kernel.stop()
        lesson.seconds = time.monotonic() - started
        return lesson

    def _exercise(self, exercise: Exercise, variants: list[Variant]) -> ExerciseRun:
        started = time.monotonic()
        run = ExerciseRun(exercise)
        self.kernel.run(RNG_SAVE, timeout=60)
        run.original = self._run_original(exercise, timeout=max(self.timeout, 600))
        reference = sum(outcome.seconds for outcome in run.original)
        timeout = self._cell_timeout(reference)
        if run.original_passes:
            for number, variant in enumerate(variants, start=1):
                self.progress(f"{self.path.parent.name} {exercise.grade_id} {number}/{len(variants)} {variant.id}")
                try:
                    result = self._try(exercise, variant, timeout)
                except TimeoutError:
                    result = VariantResult(variant, Outcome("Timeout", "the kernel had to be restarted", True), None)
                    self._run_prefix(exercise.solution_index)
                    self.kernel.run(RNG_SAVE, timeout=60)
                run.results.append(result)
            self.kernel.run(RNG_RESTORE, timeout=60)
            again = self._run_original(exercise, timeout=max(self.timeout, 600))
            if not all(outcome.passed for outcome in again):
                # A replacement left state behind that breaks the original: replay the lesson so far.
                self._run_prefix(exercise.solution_index)
                self.kernel.run(RNG_SAVE, timeout=60)
                self._run_original(exercise, timeout=max(self.timeout, 600))
        run.seconds = time.monotonic() - started
        return run


def run_lesson(notebook: Path, variants: dict[str, list[Variant]], timeout: float = 30.0,
               progress: Callable[[str], None] | None = None) -> LessonRun:
    """Run one lesson notebook, trying the given replacement answers at each exercise."""
    return LessonRunner(notebook, timeout, progress).run(variants)
