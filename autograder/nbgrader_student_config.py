"""nbgrader configuration a student's server needs: the course id, the exchange, and Validate's rule.

Students fetch, submit and fetch feedback through nbgrader's exchange, a folder every student and
instructor of the course can reach (on one machine, or a shared disk on a JupyterHub). Its place
comes from the environment variable COURSE_EXCHANGE_ROOT, default nbgrader's own
/usr/local/share/nbgrader/exchange; an instructor creates it with `python -m autograder exchange
init`. The instructor's configuration (`nbgrader_config.py` beside this file) loads this file first.
Nothing here needs the grader's extra: a student install (`pip install .`) loads it.
"""

import os

from autograder.preprocessors.warnings import validate_like_grading

COURSE_ID = "torch-foundations"
DEFAULT_EXCHANGE_ROOT = "/usr/local/share/nbgrader/exchange"

c = get_config()
c.CourseDirectory.course_id = COURSE_ID
c.Exchange.root = os.environ.get("COURSE_EXCHANGE_ROOT") or DEFAULT_EXCHANGE_ROOT

# nbgrader's Validate (the JupyterLab button, `nbgrader validate`) fails a test cell that printed a
# warning to stderr; grading drops warning-only stderr first, and so does Validate with this.
validate_like_grading()
