import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import torch

from helpers.plotting import plot_confusion_matrix, plot_curves, plot_decision_boundary, show_images


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


def test_decision_boundary_names_its_colours():
    X = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = torch.tensor([0.0, 1.0, 1.0, 0.0])
    ax = plot_decision_boundary(lambda p: torch.sigmoid(p[:, 0] - 0.5), X, y)
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels == ["predicted 0", "predicted 1", "target 0", "target 1", "p = 0.5"]
    assert len(ax.figure.axes) == 1
    shaded = plot_decision_boundary(lambda p: torch.sigmoid(p[:, 0] - 0.5), X, y, probability=True)
    assert [text.get_text() for text in shaded.get_legend().get_texts()] == ["target 0", "target 1", "p = 0.5"]
    assert shaded.figure.axes[-1].get_ylabel() == "predicted probability of 1"
    plt.close("all")
