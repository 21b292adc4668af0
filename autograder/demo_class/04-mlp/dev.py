# %% ex1-perceptron
def perceptron_epoch(w, X, y, lr):
    raise RuntimeError("stuck")

# %% ex2-backprop
def backprop_by_hand(x1, x2, y, w, lr):
    return [1.05, 2.1]  # not a dict

# %% ex3-linear-backward
def linear_backward(X, W, dZ):
    return dZ @ W.T, X.T @ dZ, dZ.sum(dim=0)

raise KeyboardInterrupt  # the cell is interrupted after defining a correct answer

# %% ex4-dead-relus
def count_dead_relus(linear, X):
    with torch.no_grad():
        return int((torch.relu(linear(X)).amax(dim=0) == 0).sum())

# %% ex5-clipping
def clip_by_global_norm(grads, max_norm):
    return clip_by_global_norm(grads, max_norm / 2)

# %% ex6-mlp-backward
def mlp_backward(X, y, W1, b1, W2, b2):
    H = torch.relu(X @ W1 + b1)
    logits = H @ W2 + b2
    d_logits = (torch.softmax(logits, dim=1) - y) / len(X)  # labels [n] do not broadcast against [n, k]
    dH, dW2, db2 = linear_backward(H, W2, d_logits)
    _, dW1, db1 = linear_backward(X, W1, dH * (H > 0))
    return dW1, db1, dW2, db2
