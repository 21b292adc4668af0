"""The course's plots: loss curves, image grids and confusion matrices."""

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

PREDICTED_0, PREDICTED_1 = "#f4c7c3", "#c6dbef"  # light red and light blue: the two predicted classes


def plot_curves(curves: Mapping[str, Sequence[float]], *, xlabel: str = "epoch", ylabel: str = "loss",
                title: str = "", logy: bool = False, marker: int | None = None, ax=None):
    """Plot named curves against their index; `marker` draws a vertical line (e.g. the best epoch)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    for name, values in curves.items():
        ax.plot(range(len(values)), list(values), label=name)
    if marker is not None:
        ax.axvline(marker, color="grey", linestyle="--", linewidth=1, label=f"{xlabel} {marker}")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    if logy:
        ax.set_yscale("log")
    ax.legend()
    ax.grid(alpha=0.3)
    return ax


def show_images(images: torch.Tensor, titles: Sequence[str], *, ncols: int = 8, colors: Sequence[str] | None = None):
    """Show a grid of greyscale images [N, H, W] with a title under each."""
    nrows = int(np.ceil(len(images) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.6 * ncols, 1.9 * nrows))
    for index, ax in enumerate(np.atleast_1d(axes).flat):
        ax.axis("off")
        if index < len(images):
            ax.imshow(images[index].cpu().numpy(), cmap="gray_r")
            ax.set_title(titles[index], fontsize=8, color=colors[index] if colors else "black")
    fig.tight_layout()
    return fig


def plot_confusion_matrix(true: torch.Tensor, predicted: torch.Tensor, class_names: Sequence[str], ax=None):
    """Counts of (true class, predicted class) as a heat map; return the matrix as a tensor."""
    k = len(class_names)
    matrix = torch.bincount(true.cpu() * k + predicted.cpu(), minlength=k * k).reshape(k, k)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 5))
    image = ax.imshow(matrix.numpy(), cmap="Blues")
    ax.set_xticks(range(k), class_names, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(k), class_names, fontsize=8)
    ax.set(xlabel="predicted", ylabel="true")
    for (row, col), count in np.ndenumerate(matrix.numpy()):
        ax.text(col, row, str(count), ha="center", va="center", fontsize=7,
                color="white" if count > matrix.max() / 2 else "black")
    ax.figure.colorbar(image, ax=ax)
    return matrix


def plot_decision_boundary(predict, X: torch.Tensor, y: torch.Tensor, *, title: str = "", ax=None,
                           margin: float = 0.5, resolution: int = 200, probability: bool = False):
    """Shade where `predict` (points [M, 2] -> probabilities [M]) exceeds 0.5, with a legend of the colours.

    With `probability=True` the shading is the predicted probability itself, with a colorbar: it shows
    where a network is confident and where it sits on the fence at 0.5.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(3.2, 3.2))
    low, high = X.min(dim=0).values - margin, X.max(dim=0).values + margin
    xs = torch.linspace(low[0].item(), high[0].item(), resolution)
    ys = torch.linspace(low[1].item(), high[1].item(), resolution)
    grid_x, grid_y = torch.meshgrid(xs, ys, indexing="xy")
    with torch.no_grad():
        probs = predict(torch.stack([grid_x.reshape(-1), grid_y.reshape(-1)], dim=1)).reshape(grid_x.shape)
    grid_x, grid_y, probs = grid_x.numpy(), grid_y.numpy(), probs.cpu().numpy()
    handles = []
    if probability:
        shading = ax.contourf(grid_x, grid_y, probs, levels=np.linspace(0, 1, 11), cmap="RdBu", vmin=0, vmax=1)
        ax.figure.colorbar(shading, ax=ax, label="predicted probability of 1")
    else:
        ax.contourf(grid_x, grid_y, probs, levels=[0, 0.5, 1], colors=[PREDICTED_0, PREDICTED_1])
        handles += [Patch(color=PREDICTED_0, label="predicted 0"), Patch(color=PREDICTED_1, label="predicted 1")]
    ax.contour(grid_x, grid_y, probs, levels=[0.5], colors="grey", linewidths=1)
    labels = y.reshape(-1).cpu()
    ax.scatter(X[:, 0].cpu(), X[:, 1].cpu(), c=["tab:blue" if v > 0.5 else "tab:red" for v in labels],
               edgecolors="black", s=60, zorder=3)
    handles += [Line2D([], [], marker="o", linestyle="", markerfacecolor=colour, markeredgecolor="black",
                       label=f"target {target}") for colour, target in (("tab:red", 0), ("tab:blue", 1))]
    handles.append(Line2D([], [], color="grey", linewidth=1, label="p = 0.5"))
    ax.legend(handles=handles, fontsize="x-small", loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3,
              frameon=False)
    ax.set(title=title, xlabel="$x_1$", ylabel="$x_2$")
    return ax
