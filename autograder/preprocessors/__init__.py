"""nbgrader preprocessors added by this grader, each with one job, one module each.

Import them from their modules (`autograder.preprocessors.sanitize`, ...): a student's install
lacks the grader's extra (nh3), yet its nbgrader Validate imports `warnings` from this package.
"""
