"""nbgrader for an instructor's server on the course's JupyterHub: the whole course configuration.

An instructor's server reads this through JUPYTER_CONFIG_PATH (deploy/jupyterhub_config.py sets it,
with COURSE_ROOT, the course checkout).
"""

import os
from pathlib import Path

from nbgrader.auth import JupyterHubAuthPlugin

course_root = Path(os.environ.get("COURSE_ROOT", Path(__file__).resolve().parents[2]))
load_subconfig(str(course_root / "autograder" / "nbgrader_config.py"))

c = get_config()
c.Authenticator.plugin_class = JupyterHubAuthPlugin
