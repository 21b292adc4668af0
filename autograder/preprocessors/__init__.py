"""nbgrader preprocessors added by this grader, each with one job."""

from autograder.preprocessors.execute import SandboxedExecute
from autograder.preprocessors.feedback import PointsAndMessages
from autograder.preprocessors.sanitize import SanitizeOutputs
from autograder.preprocessors.structure import RestoreTestCells

__all__ = ["PointsAndMessages", "RestoreTestCells", "SandboxedExecute", "SanitizeOutputs"]
