"""Rules the README states for every lesson, checked on the solution notebooks (see "For maintainers")."""

import ast
import re
from pathlib import Path

import nbformat
import pytest

SOLUTIONS = Path(__file__).resolve().parents[2] / "solutions"
LESSONS = sorted(SOLUTIONS.glob("*/*.ipynb"))
HEADING = re.compile(r"^### ✏️ Exercise (\d+) — .+ \((\d+(?:\.\d+)?) points?\)\s*$", re.MULTILINE)
TORCH_SAMPLERS = {"randn", "rand", "randint", "randperm", "normal", "bernoulli", "multinomial", "randn_like",
                  "rand_like", "randint_like"}
ADDRESS = re.compile(r"0x[0-9a-fA-F]{6,}")


def _cells(path: Path):
    return nbformat.read(path, as_version=4).cells


def _nbgrader(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def _test_cells(path: Path):
    return [c for c in _cells(path) if c.cell_type == "code" and _nbgrader(c).get("grade")
            and not _nbgrader(c).get("solution")]


def _visible_and_hidden(cell) -> tuple[str, str]:
    visible, _, hidden = cell.source.partition("### BEGIN HIDDEN TESTS")
    return visible, hidden


def _lesson_ids(paths):
    return [p.parent.name for p in paths]


@pytest.mark.parametrize("path", LESSONS, ids=_lesson_ids(LESSONS))
def test_exercises_are_numbered_and_each_check_ends_with_passed(path):
    """Exercise N's heading, its points and its check's final `passed("Exercise N")` agree."""
    cells = _cells(path)
    headings = [(int(n), float(p)) for c in cells if c.cell_type == "markdown" for n, p in HEADING.findall(c.source)]
    assert [n for n, _ in headings] == list(range(1, len(headings) + 1)), f"exercise headings {headings}"
    tests = _test_cells(path)
    assert len(tests) == len(headings), "one graded test cell per exercise heading"
    for (number, points), cell in zip(headings, tests, strict=True):
        visible, _ = _visible_and_hidden(cell)
        last = ast.parse(visible).body[-1]
        assert ast.unparse(last) == f"passed('Exercise {number}')", (
            f"{_nbgrader(cell)['grade_id']}: the visible part must end with passed(\"Exercise {number}\"), "
            f"not {ast.unparse(last)!r}")
        assert _nbgrader(cell)["points"] == points, f"{_nbgrader(cell)['grade_id']}: heading says {points} points"


@pytest.mark.parametrize("path", LESSONS, ids=_lesson_ids(LESSONS))
def test_hidden_tests_are_one_closed_block_at_the_end(path):
    for cell in _test_cells(path):
        source = cell.source.rstrip()
        assert source.count("### BEGIN HIDDEN TESTS") == source.count("### END HIDDEN TESTS") == 1, (
            _nbgrader(cell)["grade_id"])
        assert source.endswith("### END HIDDEN TESTS"), f"{_nbgrader(cell)['grade_id']}: code after the hidden tests"


@pytest.mark.parametrize("path", LESSONS, ids=_lesson_ids(LESSONS))
def test_every_check_cell_is_compared_by_nbval(path):
    """The README: cells tagged nbval-check-output hold key numeric results and every check cell."""
    for cell in _test_cells(path):
        assert "nbval-check-output" in cell.metadata.get("tags", []), f"{_nbgrader(cell)['grade_id']} is not tagged"


@pytest.mark.parametrize("path", LESSONS, ids=_lesson_ids(LESSONS))
def test_the_notebook_seeds_torch_numpy_and_random_before_drawing(path):
    """The first code cell calls helpers' seed_everything (which seeds all three) before any random draw."""
    code = [c for c in _cells(path) if c.cell_type == "code"]
    first = ast.parse(code[0].source)
    calls = [ast.unparse(n.func) for n in ast.walk(first) if isinstance(n, ast.Call)]
    imports_helpers = any((isinstance(n, ast.Import) and any(a.name == "helpers" for a in n.names))
                          or (isinstance(n, ast.ImportFrom) and n.module == "helpers") for n in ast.walk(first))
    assert imports_helpers and ("helpers.seed_everything" in calls or "seed_everything" in calls), (
        "the first code cell must import helpers and call seed_everything")
    seed_line = min(n.lineno for n in ast.walk(first) if isinstance(n, ast.Call)
                    and ast.unparse(n.func).endswith("seed_everything"))
    assert all(line > seed_line for line in _global_draws(first)), "random numbers are drawn before seeding"


def _global_draws(tree: ast.AST) -> list[int]:
    """Lines that draw from a global generator: torch samplers without generator=, np.random.*, random.*."""
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = ast.unparse(node.func)
        own_generator = any(k.arg == "generator" for k in node.keywords)
        if (name.startswith("torch.") and name.split(".")[-1] in TORCH_SAMPLERS and not own_generator) or \
                name.startswith(("np.random.", "numpy.random.")) or re.fullmatch(r"random\.\w+", name):
            lines.append(node.lineno)
    return sorted(lines)


@pytest.mark.parametrize("path", LESSONS, ids=_lesson_ids(LESSONS))
def test_hidden_tests_that_draw_random_numbers_seed_with_their_own_seed(path):
    """The README: hidden tests that need randomness call helpers.seed_everything with their own seed."""
    seeds: dict[str, str] = {}
    for cell in _test_cells(path):
        _, hidden = _visible_and_hidden(cell)
        tree = ast.parse(hidden)
        draws = _global_draws(tree)
        if not draws:
            continue
        grade_id = _nbgrader(cell)["grade_id"]
        seeding = [(n.lineno, ast.unparse(n.args[0]) if n.args else "") for n in ast.walk(tree)
                   if isinstance(n, ast.Call) and ast.unparse(n.func).endswith("seed_everything")]
        assert seeding and min(seeding)[0] < draws[0], (
            f"{grade_id}: the hidden tests draw from a global generator (line {draws[0]}) before seed_everything")
        seed = min(seeding)[1]
        assert seed not in seeds, f"{grade_id} reuses the seed {seed} of {seeds.get(seed)}"
        seeds[seed] = grade_id


@pytest.mark.parametrize("path", LESSONS, ids=_lesson_ids(LESSONS))
def test_compared_outputs_hold_no_memory_addresses(path):
    """Stored outputs that nbval compares must be hardware-stable text: no object reprs with addresses."""
    for cell in _cells(path):
        if "nbval-check-output" in cell.metadata.get("tags", []):
            text = "".join(output.get("text", "") for output in cell.outputs)
            assert not ADDRESS.search(text), f"{cell.get('id')} stores an address: {ADDRESS.search(text).group()}"
