"""nbgrader configuration for runs from the repository root (`make lab`, `nbgrader ...`): the course's own.

nbgrader reads `nbgrader_config.py` from the folder it runs in; without this file, Validate in
JupyterLab and the stock `nbgrader` commands run from here would use nbgrader's defaults (no
course, a stray gradebook.db here). With the grader installed this loads the instructor's
configuration; a student install (`pip install .`, no grader extra) gets the student one: the
course id, the exchange and Validate's rule.
"""

from pathlib import Path

from autograder.extras import missing_grader_packages

course_config = Path(__file__).resolve().parent / "autograder"
if missing_grader_packages():
    load_subconfig(str(course_config / "nbgrader_student_config.py"))
else:
    load_subconfig(str(course_config / "nbgrader_config.py"))
