"""The XOR problem and a trainer that trains many small 2-2-1 networks at once as one batched program.

Network n computes  h = act(X @ W1[n] + b1[n]),  out = h @ W2[n] + b2[n]  (then a sigmoid for BCE).
Stacking the weights of N networks along a first dimension turns N tiny trainings into one: a
batched matmul per layer, the backward pass written out as batched matmuls too (the gradients
autograd would compute, each network's from its own loss; no autograd graph, which is most of the
cost of such tiny programs) and one elementwise SGD-with-momentum update. Each network follows the
steps it would follow alone with `torch.optim.SGD` and `nn.BCELoss` / `nn.MSELoss`, to rounding.
"""

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F
from tqdm.auto import tqdm

XOR_INPUTS = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_TARGETS = torch.tensor([[0.0], [1.0], [1.0], [0.0]])
ACTIVATIONS = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid}


@dataclass
class StackedNets:
    """Weights of N networks 2-H-1 stacked along dim 0: W1 [N, 2, H], b1 [N, H], W2 [N, H, 1], b2 [N, 1]."""

    W1: torch.Tensor
    b1: torch.Tensor
    W2: torch.Tensor
    b2: torch.Tensor

    def tensors(self) -> list[torch.Tensor]:
        """The four stacked parameter tensors."""
        return [self.W1, self.b1, self.W2, self.b2]

    def __len__(self) -> int:
        return len(self.W1)

    def select(self, index: torch.Tensor) -> "StackedNets":
        """The networks at `index` (indices or a bool mask over the N networks), as a new stack."""
        return StackedNets(*[t[index] for t in self.tensors()])


def init_stacked(count: int, std: float | torch.Tensor, hidden: int = 2, *, generator: torch.Generator | None = None,
                 dtype: torch.dtype = torch.float32) -> StackedNets:
    """N networks with every weight and bias drawn from N(0, std^2); `std` may differ per network ([N])."""
    scale = torch.as_tensor(std, dtype=dtype).reshape(-1, 1, 1).expand(count, 1, 1)

    def draw(*shape: int) -> torch.Tensor:
        return torch.randn(count, *shape, generator=generator, dtype=dtype) * scale.reshape(count, *[1] * len(shape))

    return StackedNets(draw(2, hidden), draw(hidden), draw(hidden, 1), draw(1))


def stacked_from_modules(modules: list[nn.Module]) -> StackedNets:
    """Stack nets that have `fc1` (2->H) and `fc2` (H->1) linear layers; nn.Linear stores [out, in]."""
    return StackedNets(
        torch.stack([m.fc1.weight.detach().T for m in modules]),
        torch.stack([m.fc1.bias.detach() for m in modules]),
        torch.stack([m.fc2.weight.detach().T for m in modules]),
        torch.stack([m.fc2.bias.detach() for m in modules]),
    )


def forward_stacked(nets: StackedNets, X: torch.Tensor, activation: str = "tanh") -> torch.Tensor:
    """Output logits (before any sigmoid) of every network on X [B, 2]: shape [N, B, 1]."""
    hidden = ACTIVATIONS[activation](torch.matmul(X, nets.W1) + nets.b1.unsqueeze(1))
    return torch.matmul(hidden, nets.W2) + nets.b2.unsqueeze(1)


def weight_norm(nets: StackedNets) -> torch.Tensor:
    """Euclidean norm of all the weights and biases of each network: [N]."""
    return torch.cat([t.flatten(1) for t in nets.tensors()], dim=1).norm(dim=1)


def saturation_fraction(nets: StackedNets, X: torch.Tensor = XOR_INPUTS) -> torch.Tensor:
    """Fraction of each tanh network's hidden activations on X with |tanh| > 0.99: [N]."""
    with torch.no_grad():
        hidden = torch.tanh(torch.matmul(X.to(nets.W1), nets.W1) + nets.b1.unsqueeze(1))
    return (hidden.abs() > 0.99).float().mean(dim=(1, 2))


def _derivative(activation: str, pre: torch.Tensor, hidden: torch.Tensor) -> torch.Tensor:
    """d hidden / d pre for each activation, computed as autograd does from the saved tensors."""
    if activation == "tanh":
        return 1 - hidden * hidden
    if activation == "relu":
        return (hidden > 0).to(hidden)
    return hidden * (1 - hidden)


@dataclass
class XorRun:
    """Result of training N networks: final loss and predictions, and which networks solved XOR."""

    nets: StackedNets
    loss: torch.Tensor  # [N]
    outputs: torch.Tensor  # [N, 4]: probabilities (bce) or raw outputs (mse)
    solved: torch.Tensor  # [N] bool: every prediction on the right side of 0.5


def train_stacked(nets: StackedNets, steps: int, lr: float, momentum: float | torch.Tensor = 0.0, *,
                  activation: str = "tanh", loss: str = "bce", X: torch.Tensor = XOR_INPUTS,
                  y: torch.Tensor = XOR_TARGETS, progress: bool = False) -> XorRun:
    """Full-batch SGD (with momentum, as torch.optim.SGD) on every network at once; returns a XorRun.

    `loss="bce"` puts a sigmoid on the output and uses binary cross-entropy (nn.BCELoss, including its
    clamp of log at -100); `loss="mse"` uses the raw output and the mean squared error (nn.MSELoss).
    `momentum` may be one number or one per network ([N]). `progress` shows a progress bar.
    """
    params = [p.detach().clone() for p in nets.tensors()]
    W1, b1, W2, b2 = params
    count = len(W1)
    X, y = X.to(W1), y.to(W1)
    target = y.expand(count, *y.shape)
    mu = torch.as_tensor(momentum, dtype=W1.dtype).expand(count)
    mus = [mu.reshape(-1, *[1] * (p.ndim - 1)) for p in params]
    velocity = [torch.zeros_like(p) for p in params]
    act = ACTIVATIONS[activation]
    per_element = 1.0 / y.numel()  # the mean over the batch, as the loss modules take it
    bar = tqdm(total=steps, desc=f"training {count} networks", unit="step", disable=not progress, leave=False)
    for _ in range(steps):
        pre = torch.matmul(X, W1) + b1.unsqueeze(1)
        hidden = act(pre)
        out = torch.matmul(hidden, W2) + b2.unsqueeze(1)
        if loss == "bce":  # nn.BCELoss's backward divides by max(p (1 - p), 1e-12); then the sigmoid's derivative
            prob = torch.sigmoid(out)
            slope = prob * (1 - prob)
            d_out = per_element * (prob - target) / slope.clamp(min=1e-12) * slope
        else:
            d_out = per_element * 2 * (out - target)
        d_hidden = torch.matmul(d_out, W2.transpose(1, 2)) * _derivative(activation, pre, hidden)
        grads = [torch.matmul(X.T, d_hidden), d_hidden.sum(dim=1), torch.matmul(hidden.transpose(1, 2), d_out),
                 d_out.sum(dim=1)]
        torch._foreach_mul_(velocity, mus)
        torch._foreach_add_(velocity, grads)
        torch._foreach_sub_(params, torch._foreach_mul(velocity, lr))
        bar.update()
    bar.close()
    final = forward_stacked(StackedNets(*params), X, activation)
    if loss == "bce":
        per_net = F.binary_cross_entropy(torch.sigmoid(final), target, reduction="none").mean(dim=(1, 2))
    else:
        per_net = ((final - target) ** 2).mean(dim=(1, 2))
    outputs = torch.sigmoid(final.squeeze(-1)) if loss == "bce" else final.squeeze(-1)
    solved = ((outputs > 0.5) == (y.reshape(1, -1) > 0.5)).all(dim=1)
    return XorRun(StackedNets(*params), per_net, outputs, solved)


class XorNet(nn.Module):
    """A 2-H-1 network (logits out): the per-network reference the batched trainer must match."""

    def __init__(self, hidden: int = 2, activation: str = "tanh"):
        super().__init__()
        self.fc1 = nn.Linear(2, hidden)
        self.fc2 = nn.Linear(hidden, 1)
        self.activation = ACTIVATIONS[activation]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits [B, 1]."""
        return self.fc2(self.activation(self.fc1(x)))


def net_from_stack(nets: StackedNets, index: int, activation: str = "tanh") -> XorNet:
    """Network `index` of a stack as an nn.Module with the same weights."""
    net = XorNet(nets.W1.shape[2], activation).to(nets.W1.dtype)
    with torch.no_grad():
        net.fc1.weight.copy_(nets.W1[index].T)
        net.fc1.bias.copy_(nets.b1[index])
        net.fc2.weight.copy_(nets.W2[index].T)
        net.fc2.bias.copy_(nets.b2[index])
    return net


def train_one(net: XorNet, steps: int, lr: float, momentum: float = 0.0, *, loss: str = "bce",
              X: torch.Tensor = XOR_INPUTS, y: torch.Tensor = XOR_TARGETS) -> tuple[float, bool]:
    """Train one network the textbook way (nn.Module, optimizer, loss module); return (final loss, solved)."""
    X, y = X.to(net.fc1.weight), y.to(net.fc1.weight)
    optimizer = torch.optim.SGD(net.parameters(), lr=lr, momentum=momentum)
    loss_fn = nn.BCELoss() if loss == "bce" else nn.MSELoss()
    squash = torch.sigmoid if loss == "bce" else (lambda t: t)
    for _ in range(steps):
        optimizer.zero_grad()
        loss_fn(squash(net(X)), y).backward()
        optimizer.step()
    with torch.no_grad():
        outputs = squash(net(X))
        return loss_fn(outputs, y).item(), bool(((outputs > 0.5) == (y > 0.5)).all())
