# %% ex1-perceptron
def perceptron_epoch(w, X, y, lr):
    w = w.clone()
    mistakes = 0
    for x_i, y_i in zip(X, y):
        prediction = 1.0 if w @ x_i > 0 else -1.0
        if prediction != y_i:
            w += lr * (y_i - prediction) * x_i
            mistakes += 1
    return w, mistakes

# %% ex2-backprop
def backprop_by_hand(x1, x2, y, w, lr):
    h1 = w[0] * x1 + w[1] * x2
    h2 = w[2] * x1 + w[3] * x2
    y_hat = w[4] * h1 + w[5] * h2
    loss = 0.5 * (y - y_hat) ** 2
    d = y_hat - y
    # Forgets the factor w5 / w6 on the way back to the first layer.
    grads = [d * x1, d * x2, d * x1, d * x2, d * h1, d * h2]
    new_w = [wi - lr * gi for wi, gi in zip(w, grads)]
    nh1 = new_w[0] * x1 + new_w[1] * x2
    nh2 = new_w[2] * x1 + new_w[3] * x2
    return {"loss": loss, "grads": grads, "new_w": new_w,
            "new_loss": 0.5 * (y - new_w[4] * nh1 - new_w[5] * nh2) ** 2}

# %% ex3-linear-backward
def linear_backward(X, W, dZ):
    # Transposed weight gradient; bias gradient averaged instead of summed.
    return dZ @ W.T, dZ.T @ X, dZ.mean(dim=0)

# %% ex4-dead-relus
def count_dead_relus(linear, X):
    # Looks at the first example only.
    with torch.no_grad():
        return int((torch.relu(linear(X[:1])) == 0).sum())

# %% ex5-clipping
def clip_by_global_norm(grads, max_norm):
    # Clips every tensor on its own.
    norms = [g.norm() for g in grads]
    total = float(torch.stack(norms).norm())
    return [g * min(1.0, max_norm / float(n)) for g, n in zip(grads, norms)], total

# %% ex6-mlp-backward
def mlp_backward(X, y, W1, b1, W2, b2):
    Z1 = X @ W1 + b1
    H = torch.relu(Z1)
    logits = H @ W2 + b2
    d_logits = (torch.softmax(logits, dim=1) - nn.functional.one_hot(y, logits.shape[1])) / len(X)
    dH = d_logits @ W2.T
    # Masks with the sign of the upstream gradient instead of the forward pass's active units.
    dZ1 = dH * (dH > 0)
    return X.T @ dZ1, dZ1.sum(dim=0), H.T @ d_logits, d_logits.sum(dim=0)
