# %% ex1-broadcast-shape
def broadcast_shape(shape_a, shape_b):
    # Pairs sizes from the left and ignores the compatibility rule.
    return tuple(max(a, b) for a, b in zip(shape_a, shape_b))

# %% ex2-center-rows
def center_rows(x):
    # Forgets keepdim=True: the row means broadcast along the columns.
    return x - x.mean(dim=1)

# %% ex3-autograd
def grad_autograd(x):
    x = x.detach().clone().requires_grad_(True)
    (x**2 * torch.sin(x)).sum().backward()
    return x.grad


def grad_analytic(x):
    return 2 * x * torch.sin(x) + x**2 * torch.cos(x)

# %% ex4-accumulation
def gradients_per_batch(w, batches):
    # Never resets w.grad, so every gradient includes the earlier ones.
    grads = []
    for x, y in batches:
        loss = ((w * x - y) ** 2).mean()
        loss.backward()
        grads.append(w.grad.clone())
    return grads

# %% ex5-fit-line
def fit_line(x, y, steps, lr):
    # Logs the loss tensors themselves instead of loss.item().
    w = torch.zeros((), requires_grad=True)
    b = torch.zeros((), requires_grad=True)
    losses = []
    for _ in range(steps):
        loss = ((w * x + b - y) ** 2).mean()
        losses.append(loss)
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad = None
        b.grad = None
    return w.item(), b.item(), losses

# %% ex6-jacobian-rows
def jacobian_by_rows(f, x):
    # Never resets x.grad, so every row includes the rows before it.
    x = x.detach().clone().requires_grad_(True)
    y = f(x)
    rows = []
    for i in range(y.numel()):
        one_hot = torch.zeros_like(y)
        one_hot[i] = 1.0
        y.backward(one_hot, retain_graph=True)
        rows.append(x.grad.clone())
    return torch.stack(rows)
