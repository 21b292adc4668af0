"""A three-exercise nbgrader course, built in a temporary folder, for the hostile-submission suite."""

from pathlib import Path

import nbformat

from autograder.course import Course
from autograder.release import release

HIDDEN_PROBE = "HIDDEN-PROBE-7f3a"  # appears only in a hidden test; never in what students see
POINTS = {"ex1-tests": 3, "ex2-tests": 3, "ex3-tests": 2}
ANSWERS = {
    "ex1": "def double(x):\n    return 2 * x",
    "ex2": "def mean_rows(x):\n    return x.mean(axis=1)",
    "ex3": "def absolute(v):\n    return v if v >= 0 else -v",
}
TESTS = {
    "ex1-tests": "t = torch.tensor([1.0, -2.0, 3.5])\nassert torch.allclose(double(t), torch.tensor([2.0, -4.0, 7.0]))",
    "ex2-tests": ("a = np.arange(6.0).reshape(2, 3)\nnp.testing.assert_allclose(mean_rows(a), [1.0, 4.0])\n"
                  f"### BEGIN HIDDEN TESTS\n_probe = \"{HIDDEN_PROBE}\"\n"
                  "np.testing.assert_allclose(mean_rows(np.ones((4, 2))), np.ones(4))\n### END HIDDEN TESTS"),
    "ex3-tests": "assert absolute(-3) == 3\nassert abs(absolute(-2.5) - 2.5) < 1e-12",
}


def _cell(source: str, grade_id: str | None = None, test: bool = False, markdown: bool = False):
    make = nbformat.v4.new_markdown_cell if markdown else nbformat.v4.new_code_cell
    cell = make(source)
    if grade_id:
        cell.metadata.nbgrader = {"grade": test, "solution": not test, "locked": test, "grade_id": grade_id,
                                  "schema_version": 3, **({"points": POINTS[grade_id]} if test else {})}
    return cell


def source_notebook() -> nbformat.NotebookNode:
    """The instructor's notebook: worked example, three exercises with solutions and tests."""
    cells = [_cell("# Quiz\nThree small functions.", markdown=True),
             _cell("import numpy as np\nimport torch\n\ntorch.manual_seed(0)\nprint(torch.ones(2) * 3)")]
    for number in (1, 2, 3):
        answer = ANSWERS[f"ex{number}"]
        cells.append(_cell(f"## Exercise {number}", markdown=True))
        cells.append(_cell(f"### BEGIN SOLUTION\n{answer}\n### END SOLUTION", grade_id=f"ex{number}"))
        cells.append(_cell(TESTS[f"ex{number}-tests"], grade_id=f"ex{number}-tests", test=True))
    cells.append(_cell("print('done')"))
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return notebook


CONFIG_FILE = """\
# The quiz course: the main course's grading set-up with its own folders and short limits.
c = get_config()
load_subconfig({base!r})
c.CourseDirectory.root = {root!r}
for step in ("source", "release", "submitted", "autograded", "feedback"):
    setattr(c.CourseDirectory, step + "_directory", step)
c.CourseDirectory.db_url = {db_url!r}
c.Execute.timeout = {cell_seconds}
c.SandboxedExecute.notebook_timeout = {notebook_seconds}
c.SandboxedExecute.memory_limit = 2 * 2**30
c.SandboxedExecute.output_limit = 64 * 2**10
c.SandboxedExecute.scratch_limit = 64 * 2**20
c.SandboxedExecute.preload = ["numpy", "numpy.testing", "torch", "torch.testing"]
"""


def build_quiz_course(root: Path, base_config: Path, cell_seconds: int = 5, notebook_seconds: int = 12,
                      db_url: str | None = None) -> Course:
    """Write the quiz course and its nbgrader_config.py under `root`, release it, and return it."""
    (root / "source" / "quiz").mkdir(parents=True)
    nbformat.write(source_notebook(), root / "source" / "quiz" / "quiz.ipynb")
    (root / "nbgrader_config.py").write_text(CONFIG_FILE.format(
        base=str(base_config), root=str(root), db_url=db_url or f"sqlite:///{root / 'gradebook.db'}",
        cell_seconds=cell_seconds, notebook_seconds=notebook_seconds))
    course = Course.load(root / "nbgrader_config.py")
    release(course)
    return course


def submission(course: Course, answers: dict[str, str]) -> nbformat.NotebookNode:
    """The student version with `answers` (grade id -> source) written into its cells."""
    notebook = nbformat.read(course.folder("release") / "quiz" / "quiz.ipynb", as_version=4)
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    return notebook
