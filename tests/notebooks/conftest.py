"""Each lesson is run once per test session with its mutants and its answer corpus; the tests share it."""

from pathlib import Path

import pytest

from autograder.mutation import LessonCheck, check_lesson

REPO = Path(__file__).resolve().parents[2]
SOLUTIONS = REPO / "solutions"
MUTANTS = Path(__file__).resolve().parent / "mutants"
ANSWERS = Path(__file__).resolve().parent / "answers"

_checks: dict[str, list[LessonCheck]] = {}


@pytest.fixture(scope="session")
def lesson_checks():
    """A function from a lesson folder to its notebooks' checks (mutants and corpus), computed once."""

    def checks(folder: str) -> list[LessonCheck]:
        if folder not in _checks:
            _checks[folder] = [check_lesson(notebook, MUTANTS / f"{folder}.toml", ANSWERS / f"{folder}.toml")
                               for notebook in sorted((SOLUTIONS / folder).glob("*.ipynb"))]
        return _checks[folder]

    return checks
