"""Helpers that the course notebooks call, so each notebook shows only the idea it teaches.

Nothing here knows the answers to any exercise: students install this package.
"""

from helpers.california_housing import RegressionTable, load_california_housing
from helpers.checks import CheckFailed, check_close, check_shape, check_type, expect, passed, run_answer
from helpers.device import choose_device
from helpers.fashion_mnist import ImageClassification, load_fashion_mnist
from helpers.feedback_display import install_feedback_display
from helpers.gradcheck import gradient_check, numerical_gradient, relative_error
from helpers.plotting import plot_confusion_matrix, plot_curves, plot_decision_boundary, show_images
from helpers.reproducibility import seed_everything
from helpers.training import History, evaluate, fit, minibatches

__all__ = [
    "CheckFailed",
    "History",
    "ImageClassification",
    "RegressionTable",
    "check_close",
    "check_shape",
    "check_type",
    "choose_device",
    "evaluate",
    "expect",
    "fit",
    "gradient_check",
    "load_california_housing",
    "load_fashion_mnist",
    "minibatches",
    "numerical_gradient",
    "passed",
    "plot_confusion_matrix",
    "plot_curves",
    "plot_decision_boundary",
    "relative_error",
    "run_answer",
    "seed_everything",
    "show_images",
]

install_feedback_display()
