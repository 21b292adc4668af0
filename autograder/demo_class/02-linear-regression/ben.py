# %% ex1-shape-question
weight_shape = (1, 8)  # copies nn.Linear's [out, in] layout
bias_shape = (1, 1)
other_bias_shapes = [(7, 1)]

# %% ex2-dense-layer
def init_params(in_features, out_features):
    W = (0.01 * torch.randn(out_features, in_features)).requires_grad_(True)
    b = torch.zeros(1, out_features, requires_grad=True)
    return W, b


def dense(X, W, b):
    return X @ W.T + b

# %% ex3-broken-variant
broken_variant = "B"


def broken_shape(n):
    return (n, n)

# %% ex4-squared-loss
def safe_squared_loss(y_hat, y):
    # Reduces an n x n table without noticing.
    return ((y_hat - y) ** 2 / 2).mean()

# %% ex5-standardize
def standardize(train_X, test_X):
    # Statistics from all rows: the test set leaks in.
    both = torch.cat([train_X, test_X])
    mean, std = both.mean(dim=0), both.std(dim=0, unbiased=False)
    return (train_X - mean) / std, (test_X - mean) / std
