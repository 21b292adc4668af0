"""Every lesson has the same shape: goals, explanation, worked examples, graded exercises, summary."""

import ast
import re
from pathlib import Path

import nbformat
import pytest

SOLUTIONS = Path(__file__).resolve().parents[2] / "solutions"
LESSONS = sorted(SOLUTIONS.glob("*/*.ipynb"))
HAN = re.compile(r"[\u4e00-\u9fff]")


def _nbgrader(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.parent.name)
def test_lesson_shape(path):
    cells = nbformat.read(path, as_version=4).cells
    markdown = "\n".join(c.source for c in cells if c.cell_type == "markdown")
    assert cells[0].source.startswith("# Lesson "), "the first cell is the lesson title"
    assert "Goals · 学习目标" in cells[0].source
    assert "# Graded exercises · 练习" in markdown
    assert "## Summary · 总结" in cells[-1].source
    headings = [line for line in markdown.splitlines() if line.startswith("#")]
    untranslated = [h for h in headings if not HAN.search(h) and "Exercise" not in h]
    assert not untranslated, f"headings without a Chinese term: {untranslated}"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.parent.name)
def test_exercises_have_visible_and_hidden_tests(path):
    cells = nbformat.read(path, as_version=4).cells
    solutions = [c for c in cells if _nbgrader(c).get("solution")]
    tests = [c for c in cells if _nbgrader(c).get("grade")]
    assert len(tests) >= 4, "at least four graded exercises"
    for cell in tests:
        visible, _, hidden = cell.source.partition("### BEGIN HIDDEN TESTS")
        assert hidden.strip(), f"{_nbgrader(cell)['grade_id']} has no hidden tests"
        assert "passed(" in visible, f"{_nbgrader(cell)['grade_id']} never reports success"
        assert _nbgrader(cell)["points"] > 0
    for cell in solutions:
        assert "### BEGIN SOLUTION" in cell.source
    first_setup = next(c for c in cells if c.cell_type == "code")
    assert "seed_everything(" in first_setup.source, "the first code cell seeds everything"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.parent.name)
def test_compared_cells_print_text_only(path):
    """nbval compares the outputs of tagged cells exactly: plots (reprs with addresses) must stay out."""
    for cell in nbformat.read(path, as_version=4).cells:
        if "nbval-check-output" in cell.metadata.get("tags", []):
            kinds = {output.output_type for output in cell.outputs}
            assert kinds <= {"stream"}, f"{cell.get('id')} is compared by nbval but shows {sorted(kinds)}"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.parent.name)
def test_stored_outputs_have_no_errors(path):
    for cell in nbformat.read(path, as_version=4).cells:
        for output in getattr(cell, "outputs", []):
            assert output.output_type != "error", f"stored error in {cell.get('id')}"
            assert output.get("name") != "stderr", f"stored stderr in {cell.get('id')}"


def _defined_names(source: str) -> set[str]:
    """Top-level names a cell defines (functions, classes, assignments), ignoring IPython magics."""
    code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
    names = set()
    for node in ast.parse(code).body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.parent.name)
def test_no_answer_is_defined_before_its_exercise(path):
    """A name an exercise must define may not already exist, or a blank answer would pass."""
    defined_before: set[str] = set()
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        names = _defined_names(cell.source)
        if _nbgrader(cell).get("solution"):
            clash = names & defined_before
            assert not clash, f"{_nbgrader(cell)['grade_id']} asks for {sorted(clash)}, already defined above"
        defined_before |= names
