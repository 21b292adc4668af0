"""nbgrader for a student's server on the course's JupyterHub: the course's student configuration.

A student's server reads this through JUPYTER_CONFIG_PATH, and finds the course at COURSE_ROOT
(deploy/jupyterhub_config.py sets both). `make lab` uses this folder too, without a hub.
"""

import os
from pathlib import Path

from nbgrader.auth import JupyterHubAuthPlugin

course_root = Path(os.environ.get("COURSE_ROOT", Path(__file__).resolve().parents[2]))
load_subconfig(str(course_root / "autograder" / "nbgrader_student_config.py"))

c = get_config()
# `make lab` reuses this folder on a student's own computer, where no hub is there to ask.
if "JUPYTERHUB_USER" in os.environ:
    # Only courses whose JupyterHub group (nbgrader-<course>) the student is in are listed and reachable.
    c.Authenticator.plugin_class = JupyterHubAuthPlugin
    # The hub's user name is the student id, also where every server runs under one system account.
    c.CourseDirectory.student_id = os.environ["JUPYTERHUB_USER"]
