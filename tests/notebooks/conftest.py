"""Each lesson runs once per test session with its mutants and its answer corpus; the tests share the run.

Under pytest-xdist the mutation test and the corpus test may land on different workers: the first
to need a lesson runs it and pickles the result into the session's shared temporary folder, under a
lock; the other loads it. The corpus test walks the lessons in reverse order, so the two rarely wait.
"""

import fcntl
import os
import pickle
from pathlib import Path

import pytest

from autograder.mutation import LessonCheck, check_lesson

REPO = Path(__file__).resolve().parents[2]
SOLUTIONS = REPO / "solutions"
MUTANTS = Path(__file__).resolve().parent / "mutants"
ANSWERS = Path(__file__).resolve().parent / "answers"


def _run(folder: str) -> list[LessonCheck]:
    return [check_lesson(notebook, MUTANTS / f"{folder}.toml", ANSWERS / f"{folder}.toml")
            for notebook in sorted((SOLUTIONS / folder).glob("*.ipynb"))]


@pytest.fixture(scope="session")
def lesson_checks(tmp_path_factory):
    """A function from a lesson folder to its notebooks' checks (mutants and corpus), computed once."""
    in_memory: dict[str, list[LessonCheck]] = {}
    run_id = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    shared = tmp_path_factory.getbasetemp().parent / f"lesson-checks-{run_id}" if run_id else None

    def checks(folder: str) -> list[LessonCheck]:
        if folder in in_memory:
            return in_memory[folder]
        if shared is None:
            in_memory[folder] = _run(folder)
            return in_memory[folder]
        shared.mkdir(exist_ok=True)
        with (shared / f"{folder}.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            result = shared / f"{folder}.pickle"
            if result.is_file():
                in_memory[folder] = pickle.loads(result.read_bytes())
            else:
                in_memory[folder] = _run(folder)
                result.write_bytes(pickle.dumps(in_memory[folder]))
        return in_memory[folder]

    return checks
