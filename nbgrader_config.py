"""nbgrader configuration for runs from the repository root (`make lab`, `nbgrader validate`): the course's own.

nbgrader reads `nbgrader_config.py` from the folder it runs in; without this file, Validate in
JupyterLab and the stock `nbgrader` commands run from here would use nbgrader's defaults.
"""

from pathlib import Path

load_subconfig(str(Path(__file__).resolve().parent / "autograder" / "nbgrader_config.py"))
