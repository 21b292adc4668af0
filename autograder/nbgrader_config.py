"""nbgrader configuration for this course; the stock `nbgrader` CLI reads it when run from autograder/.

Instructors' source notebooks live in solutions/, student versions are generated into notebooks/,
and everything produced while grading (submissions, autograded copies, feedback, the gradebook)
goes to the git-ignored folder work/. Set GRADEBOOK_URL to use another database (e.g. PostgreSQL).
"""

import os
from pathlib import Path

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import ClearHiddenTests, GetGrades

course_root = Path(__file__).resolve().parent.parent
work = course_root / "work"

c = get_config()
c.CourseDirectory.course_id = "torch-foundations"
c.CourseDirectory.root = str(course_root)
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "notebooks"
c.CourseDirectory.submitted_directory = "work/submitted"
c.CourseDirectory.autograded_directory = "work/autograded"
c.CourseDirectory.feedback_directory = "work/feedback"
c.CourseDirectory.db_url = os.environ.get("GRADEBOOK_URL", f"sqlite:///{work / 'gradebook.db'}")
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "data"]

# The stub students see in place of each solution region.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Per-cell time limit while grading; lessons are small, so a minute is generous.
c.Execute.timeout = 60
c.Execute.kernel_name = "python3"

# nbgrader gives 0 points to a test cell with any stderr output, so a harmless warning raised by
# correct student code (e.g. torch's "Converting a tensor with requires_grad=True to a scalar")
# would cost the exercise. Drop warning-only stderr outputs before scoring; errors still score 0.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"\w*Warning: "

# Student feedback shows each test's points and message but never the hidden tests' source: strip
# it before the HTML is written. The autograded notebooks (the instructor's view) keep everything.
c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTests, CSSHTMLHeaderPreprocessor]
