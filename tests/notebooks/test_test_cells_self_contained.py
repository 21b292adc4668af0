"""Test cells are self-contained: the grader runs each in its own copy of the notebook's namespace.

A name that only a test cell defines is gone when the test ends (autograder/sandbox/kernel.py), so
no later cell may rely on it; nbval, which runs notebooks plainly, would not notice.
"""

import symtable
from pathlib import Path

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager

SOLUTIONS = Path(__file__).resolve().parents[2] / "solutions"
LESSONS = sorted(SOLUTIONS.glob("*/*.ipynb"))
_PYTHON = TransformerManager()


def _names(source: str) -> tuple[set[str], set[str]]:
    """(bound at the top level, read as globals anywhere) by one cell."""
    table = symtable.symtable(_PYTHON.transform_cell(source), "cell", "exec")
    bound = {s.get_name() for s in table.get_symbols() if s.is_assigned() or s.is_imported()}
    read: set[str] = set()
    tables = [table]
    while tables:
        scope = tables.pop()
        read |= {s.get_name() for s in scope.get_symbols() if s.is_referenced() and
                 (scope is table or s.is_global())}
        tables += scope.get_children()
    return bound, read


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.parent.name)
def test_no_cell_reads_a_name_only_a_test_cell_defined(path):
    only_in_tests: dict[str, str] = {}
    problems = []
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        nbgrader = cell.metadata.get("nbgrader", {})
        bound, read = _names(cell.source)
        where = nbgrader.get("grade_id", cell.get("id", "?"))
        problems += [f"{where} reads {name!r}, defined only by test cell {only_in_tests[name]}"
                     for name in sorted(read - bound) if name in only_in_tests]
        for name in bound:
            if nbgrader.get("grade") and not nbgrader.get("solution"):
                only_in_tests.setdefault(name, where)
            else:
                only_in_tests.pop(name, None)
    assert not problems
