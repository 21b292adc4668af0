# %% ex1-perceptron
def perceptron_epoch(w, X, y, lr):
    new_w = w.clone()
    mistakes = 0
    for i in range(len(X)):
        guess = torch.where(new_w @ X[i] > 0, 1.0, -1.0)
        if guess != y[i]:
            new_w = new_w + lr * (y[i] - guess) * X[i]
            mistakes += 1
    return new_w, mistakes

# %% ex2-backprop
def backprop_by_hand(x1, x2, y, w, lr):
    w1, w2, w3, w4, w5, w6 = w

    def loss_of(w1, w2, w3, w4, w5, w6):
        return 0.5 * (y - (w5 * (w1 * x1 + w2 * x2) + w6 * (w3 * x1 + w4 * x2))) ** 2

    h1, h2 = w1 * x1 + w2 * x2, w3 * x1 + w4 * x2
    e = w5 * h1 + w6 * h2 - y
    grads = [e * w5 * x1, e * w5 * x2, e * w6 * x1, e * w6 * x2, e * h1, e * h2]
    new_w = [a - lr * g for a, g in zip(w, grads)]
    return {"loss": loss_of(*w), "grads": grads, "new_w": new_w, "new_loss": loss_of(*new_w)}

# %% ex3-linear-backward
def linear_backward(X, W, dZ):
    return torch.matmul(dZ, W.t()), torch.matmul(X.t(), dZ), dZ.sum(0)

# %% ex4-dead-relus
def count_dead_relus(linear, X):
    with torch.no_grad():
        return (torch.relu(linear(X)).sum(dim=0) == 0).sum()  # a tensor, not an int

# %% ex5-clipping
def clip_by_global_norm(grads, max_norm):
    total = float(torch.sqrt(sum((g**2).sum() for g in grads)))
    # Always rescales to max_norm, even when the gradients were already smaller.
    return [g * (max_norm / total) for g in grads], total

# %% ex6-mlp-backward
def mlp_backward(X, y, W1, b1, W2, b2):
    Z1 = X @ W1 + b1
    H = Z1.clamp(min=0)
    logits = H @ W2 + b2
    probs = logits.softmax(dim=1)
    probs[torch.arange(len(y)), y] -= 1  # the gradient of the summed loss: no division by the batch size
    dH, dW2, db2 = linear_backward(H, W2, probs)
    _, dW1, db1 = linear_backward(X, W1, dH * (Z1 > 0))
    return dW1, db1, dW2, db2
