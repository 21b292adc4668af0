"""nbgrader configuration for runs from the repository root (`make lab`, `nbgrader ...`): the course's own.

nbgrader reads `nbgrader_config.py` from the folder it runs in; without this file, Validate in
JupyterLab and the stock `nbgrader` commands run from here would use nbgrader's defaults (no
course, a stray gradebook.db here). With the grader installed this loads the instructor's
configuration; a student install (`pip install .`, no grader extra) gets the student one: the
course id, the exchange and Validate's rule.
"""

from pathlib import Path

from autograder.extras import missing_grader_packages

course_root = Path(__file__).resolve().parent
course_config = course_root / "autograder"
if missing_grader_packages():
    load_subconfig(str(course_config / "nbgrader_student_config.py"))
    # Formgrader, if a student opens it anyway, keeps its gradebook in the git-ignored work/.
    (course_root / "work").mkdir(exist_ok=True)
    get_config().CourseDirectory.db_url = f"sqlite:///{course_root / 'work' / 'gradebook.db'}"
else:
    load_subconfig(str(course_config / "nbgrader_config.py"))
