"""Grading tools for an nbgrader course: release, build the demo class, autograde, report.

Each stage is one module; the CLI (`python -m autograder`) strings them together. Nothing here
imports the course's lesson helpers: the grader works for any nbgrader course.
"""
