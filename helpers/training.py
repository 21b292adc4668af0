"""A plain training loop with minibatches, validation, early stopping and a progress bar."""

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import torch
from torch import nn
from tqdm.auto import tqdm

Batch = tuple[torch.Tensor, torch.Tensor]


def minibatches(
    features: torch.Tensor,
    targets: torch.Tensor,
    batch_size: int,
    *,
    shuffle: bool = True,
    generator: torch.Generator | None = None,
) -> Iterator[Batch]:
    """Yield (features, targets) slices of `batch_size` rows, in a fresh random order if `shuffle`."""
    if len(features) != len(targets):
        raise ValueError(f"features have {len(features)} rows but targets have {len(targets)}")
    if shuffle:
        order = torch.randperm(len(features), generator=generator, device=features.device)
        features, targets = features[order], targets[order]
    for start in range(0, len(features), batch_size):
        yield features[start:start + batch_size], targets[start:start + batch_size]


@torch.no_grad()
def evaluate(model: nn.Module, loss_fn: Callable, features: torch.Tensor, targets: torch.Tensor,
             batch_size: int = 4096) -> float:
    """Mean loss of `model` over a whole dataset, in evaluation mode and without gradients."""
    model.eval()
    total = 0.0
    for x, y in minibatches(features, targets, batch_size, shuffle=False):
        total += loss_fn(model(x), y).item() * len(x)
    return total / len(features)


@dataclass
class History:
    """Per-epoch losses of one training run, and where early stopping left it."""

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    tracked: dict[str, list[float]] = field(default_factory=dict)
    best_epoch: int | None = None
    stopped_early: bool = False


def fit(
    model: nn.Module,
    loss_fn: Callable,
    optimizer: torch.optim.Optimizer,
    train: Batch,
    val: Batch | None = None,
    *,
    epochs: int,
    batch_size: int,
    patience: int | None = None,
    track: dict[str, Batch] | None = None,
    generator: torch.Generator | None = None,
    progress: bool = True,
) -> History:
    """Train for up to `epochs` epochs; with `val` and `patience`, stop early and keep the best weights.

    Each epoch runs zero_grad -> forward -> loss -> backward -> step over shuffled minibatches; the
    recorded training loss is the mean over the epoch's batches (taken with .item()). `track` names
    further datasets (e.g. the test set) whose loss is recorded every epoch, for plotting only: they
    never influence training or early stopping.
    """
    history = History(tracked={name: [] for name in track or {}})
    best_loss, best_state, waited = float("inf"), None, 0
    bar = tqdm(range(epochs), desc="training", unit="epoch", disable=not progress, leave=False)
    for _ in bar:
        model.train()
        total, seen = 0.0, 0
        for x, y in minibatches(*train, batch_size, generator=generator):
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(x)
            seen += len(x)
        history.train_loss.append(total / seen)
        for name, data in (track or {}).items():
            history.tracked[name].append(evaluate(model, loss_fn, *data))
        if val is None:
            bar.set_postfix(train=f"{history.train_loss[-1]:.4f}")
            continue
        history.val_loss.append(evaluate(model, loss_fn, *val))
        bar.set_postfix(train=f"{history.train_loss[-1]:.4f}", val=f"{history.val_loss[-1]:.4f}")
        if history.val_loss[-1] < best_loss:
            best_loss, waited = history.val_loss[-1], 0
            history.best_epoch = len(history.val_loss) - 1
            best_state = copy.deepcopy(model.state_dict())
        else:
            waited += 1
            if patience is not None and waited >= patience:
                history.stopped_early = True
                break
    if best_state is not None and patience is not None:
        model.load_state_dict(best_state)
    return history
