"""The one-kernel runner: visible and hidden verdicts, named failures, RNG restored, time limits."""

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from autograder.mutation.runner import LessonRunner, Variant, split_test

SETUP = '''import random
import time

random.seed(0)
FIRST_DRAW = random.Random(0).random()


class CheckFailed(AssertionError):
    pass


def expect(condition, message):
    if not condition:
        raise CheckFailed(message)
'''
ANSWER = "def double(x):\n    ### BEGIN SOLUTION\n    return x * 2\n    ### END SOLUTION\n"
TEST = '''expect(double(3) == 6, "double(3) should be 6")
print("passed")
### BEGIN HIDDEN TESTS
expect(random.random() == FIRST_DRAW, "the random number generators were not restored")
expect(double(10) == 20, "double(10) should be 20")
### END HIDDEN TESTS
'''
LATER = 'expect(double(4) == 8, "the original answer is back")\n'


def _cell(source: str, **nbgrader) -> nbformat.NotebookNode:
    cell = new_code_cell(source)
    if nbgrader:
        cell.metadata["nbgrader"] = {"schema_version": 3, "locked": False, "task": False, **nbgrader}
    return cell


@pytest.fixture
def lesson(tmp_path):
    notebook = new_notebook(cells=[
        _cell(SETUP),
        _cell(ANSWER, solution=True, grade=False, grade_id="ex1-double"),
        _cell(TEST, solution=False, grade=True, grade_id="ex1-tests", points=1),
        _cell(LATER),
    ])
    path = tmp_path / "lesson.ipynb"
    nbformat.write(notebook, path)
    return path


def test_split_test_separates_the_visible_part_from_the_hidden_tests():
    visible, hidden = split_test(TEST)
    assert visible.endswith('print("passed")\n') and "BEGIN" not in hidden and "FIRST_DRAW" in hidden


def test_each_replacement_gets_its_verdict_and_the_lesson_continues(lesson):
    variants = [
        Variant("right", "def double(x):\n    return x + x\n"),
        Variant("wrong-visible", "def double(x):\n    return x * 3\n"),
        Variant("wrong-hidden", "def double(x):\n    return 6 if x == 3 else x\n"),
        Variant("crash", "def double(x):\n    return x.missing\n"),
        Variant("slow", "def double(x):\n    time.sleep(60)\n"),
        Variant("stubborn", "def double(x):\n    while True:\n        try:\n            time.sleep(1)\n"
                            "        except KeyboardInterrupt:\n            pass\n"),
        Variant("right-again", "def double(x):\n    return 2 * x\n"),
    ]
    run = LessonRunner(lesson, timeout=3).run({"ex1-double": variants})
    (exercise,) = run.exercises
    assert exercise.original_passes
    results = {r.variant.id: r for r in exercise.results}
    assert not results["right"].killed and not results["right-again"].killed  # RNG put back each time
    assert results["wrong-visible"].named and results["wrong-visible"].hidden is None
    assert results["wrong-hidden"].killed and not results["wrong-hidden"].caught_by_visible
    assert results["wrong-hidden"].hidden.error == "CheckFailed"
    assert results["crash"].caught_by_visible and not results["crash"].named
    assert results["crash"].visible.error == "AttributeError"
    assert results["slow"].visible.timed_out and results["slow"].killed
    assert results["stubborn"].visible.timed_out and results["stubborn"].killed
