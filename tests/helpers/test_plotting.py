import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import torch

from helpers.plotting import plot_confusion_matrix, plot_curves, show_images


def test_confusion_matrix_counts_true_rows_and_predicted_columns():
    matrix = plot_confusion_matrix(torch.tensor([0, 0, 1, 2]), torch.tensor([0, 1, 1, 0]), ["a", "b", "c"])
    assert matrix.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 0]]
    plt.close("all")


def test_curves_and_images_draw():
    ax = plot_curves({"train": [3, 2, 1], "val": [3, 2.5, 2.7]}, marker=1, logy=True)
    assert len(ax.get_lines()) == 3
    fig = show_images(torch.zeros(5, 4, 4, dtype=torch.uint8), list("abcde"), ncols=3)
    assert len(fig.axes) == 6
    plt.close("all")
