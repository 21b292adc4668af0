# %% ex1-shape-question
weight_shape = [8, 1]
bias_shape = (1, 1)
other_bias_shapes = [(1,)]  # forgets the scalar bias: the hidden tests notice

# %% ex2-dense-layer
def init_params(in_features, out_features):
    W = torch.normal(0.0, 0.01, size=(in_features, out_features)).requires_grad_()
    b = torch.zeros(1, out_features).requires_grad_()
    return W, b


def dense(X, W, b):
    return torch.matmul(X, W) + b

# %% ex3-broken-variant
broken_variant = "b"


def broken_shape(n):
    return torch.Size([n, n])

# %% ex4-squared-loss
def safe_squared_loss(y_hat, y):
    # Flattens both: right values, but not y_hat's shape.
    return (y_hat.view(-1) - y.view(-1)) ** 2 / 2

# %% ex5-standardize
def standardize(train_X, test_X):
    mean = train_X.mean(0)
    std = train_X.std(0, unbiased=False)
    return (train_X - mean) / std, (test_X - mean) / std
