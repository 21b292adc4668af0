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
