"""A failed test cell scores 0 even when student code showed a result before it failed."""

import nbformat
from nbgrader.utils import determine_grade

from autograder.preprocessors.results import ErrorsOutrankResults


def graded_test_cell(outputs: list) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell("assert double(2) == 4", outputs=outputs)
    cell.metadata.nbgrader = {"grade": True, "solution": False, "grade_id": "t", "points": 3}
    return cell


def result(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_output("execute_result", data={"text/plain": text}, execution_count=1)


def test_a_result_shown_before_an_error_no_longer_scores():
    error = nbformat.v4.new_output("error", ename="AssertionError", evalue="", traceback=[])
    cell = graded_test_cell([result("'full marks'"), error])
    assert determine_grade(cell) == (3, 3)  # what nbgrader alone would give
    ErrorsOutrankResults().preprocess_cell(cell, {}, 0)
    assert determine_grade(cell) == (0, 3)


def test_partial_credit_of_a_passing_test_is_kept():
    cell = graded_test_cell([result("1.5")])
    ErrorsOutrankResults().preprocess_cell(cell, {}, 0)
    assert determine_grade(cell) == (1.5, 3)
