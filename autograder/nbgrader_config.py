"""nbgrader configuration for this course (the instructor's); the stock `nbgrader` CLI reads it from autograder/.

It starts from what students need (`nbgrader_student_config.py`: the course id, the exchange root
from COURSE_EXCHANGE_ROOT, Validate's warning rule). Instructors' source notebooks live in
solutions/, student versions are generated into notebooks/, and everything produced while grading
(submissions, autograded copies, feedback, exports, LMS downloads, the gradebook) goes to the
git-ignored folder work/. Set GRADEBOOK_URL to use another database (e.g. PostgreSQL).
"""

import os
from pathlib import Path

from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbgrader.converters import GenerateAssignment
from nbgrader.preprocessors import (
    AssignLatePenalties,
    CheckCellMetadata,
    ClearHiddenTests,
    ClearOutput,
    DeduplicateIds,
    GetGrades,
    LimitOutput,
    OverwriteCells,
    OverwriteKernelspec,
    SaveAutoGrades,
)

from autograder.course import CPU_PATH_VARIABLES, GRADING_ENVIRONMENT
from autograder.feedback_export import FeedbackHTMLExporter
from autograder.preprocessors.execute import SandboxedExecute
from autograder.preprocessors.feedback import PointsAndMessages
from autograder.preprocessors.sanitize import SanitizeOutputs
from autograder.preprocessors.structure import RestoreTestCells
from autograder.preprocessors.warnings import DropWarningOutput
from autograder.preprocessors.widgets import ClearWidgetState
from autograder.zip_collect import RosterCollector

course_root = Path(__file__).resolve().parent.parent
work = course_root / "work"
# The stock nbgrader commands write the SQLite gradebook and exports here but never create it.
work.mkdir(exist_ok=True)

load_subconfig(str(Path(__file__).resolve().parent / "nbgrader_student_config.py"))
c = get_config()
c.CourseDirectory.root = str(course_root)
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "notebooks"
c.CourseDirectory.submitted_directory = "work/submitted"
c.CourseDirectory.autograded_directory = "work/autograded"
c.CourseDirectory.feedback_directory = "work/feedback"
c.CourseDirectory.db_url = os.environ.get("GRADEBOOK_URL", f"sqlite:///{work / 'gradebook.db'}")
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "data"]
# `nbgrader export` writes nbgrader's own CSV here (work/grades.csv is this grader's report).
c.ExportPlugin.to = str(work / "nbgrader-grades.csv")
# LMS hand-in (`python -m autograder zip-collect`, `nbgrader zip_collect`): downloads are extracted
# under work/downloaded/<lesson>/ and each file's student found by name on the roster; Canvas's
# file names by default, `--RosterCollector.lms=moodle` for Moodle's (autograder/zip_collect.py).
c.ZipCollectApp.collect_directory_structure = "work/downloaded/{assignment_id}/{collect_step}"
c.ZipCollectApp.collector_plugin = RosterCollector

# Student versions: nbgrader's chain, then the stored widget state goes (their outputs are cleared).
c.GenerateAssignment.preprocessors = [*GenerateAssignment.class_traits()["preprocessors"].default(), ClearWidgetState]

# The stub students see in place of each solution region.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Grading runs each submission in a confined, guarded kernel (autograder/SECURITY.md): nbgrader's
# chains with steps swapped in: deleted or damaged test cells are put back first; execution is
# sandboxed and a test cell is scored from the kernel's signed report only; and script or active
# HTML is removed from what the instructor's browser shows (Formgrader renders the autograded
# notebooks on the server's origin).
c.Autograde.sanitize_preprocessors = [ClearOutput, RestoreTestCells, DeduplicateIds, OverwriteKernelspec,
                                      OverwriteCells, CheckCellMetadata]
c.Autograde.autograde_preprocessors = [SandboxedExecute, DropWarningOutput, SanitizeOutputs, ClearMetadataPreprocessor,
                                       LimitOutput, SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]
# Limits that fail closed; lessons run in under 30 s, so these are generous.
c.Execute.timeout = 60  # per cell, seconds
c.SandboxedExecute.notebook_timeout = 300
c.SandboxedExecute.memory_limit = 3 * 2**30
c.SandboxedExecute.output_limit = 2 * 2**20
# Imported before any student code (warm kernels) and restored before every hidden test.
c.SandboxedExecute.preload = ["numpy", "numpy.testing", "torch", "torch.testing", "matplotlib", "helpers"]
c.SandboxedExecute.environment = [*GRADING_ENVIRONMENT, *CPU_PATH_VARIABLES]

# nbgrader gives 0 points to a test cell with any stderr output, so a harmless warning raised by
# correct student code (e.g. torch's "Converting a tensor with requires_grad=True to a scalar")
# would cost the exercise. DropWarningOutput (in the grading chain above) removes warning-only
# stderr outputs before scoring (errors still score 0); the student config applies the same rule
# to Validate, so it never tells a student that a correct answer loses credit.

# Student feedback shows each test's points and message but never the hidden tests' source: strip
# it before the HTML is written. The autograded notebooks (the instructor's view) keep everything.
# Test cells then show one line each: points and the error message, no traceback, no prints.
# Feedback HTML is cleaned of script and active HTML again, whatever the autograded copy holds.
c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTests, PointsAndMessages, SanitizeOutputs,
                                    CSSHTMLHeaderPreprocessor]
# The same pages as nbconvert's HTMLExporter, with templates compiled and lesson code highlighted once
# per grading worker rather than once per submission (autograder/feedback_export.py).
c.GenerateFeedback.exporter_class = FeedbackHTMLExporter
