# %% ex1-shape-question
weight_shape = (8, 1)
bias_shape = (1, 1)
other_bias_shapes = [(1,), ()]

# %% ex2-dense-layer
def init_params(in_features, out_features):
    return torch.zeros(in_features, out_features), torch.zeros(1, out_features)


def dense(X, W, b):
    raise RuntimeError("not today")

# %% ex3-broken-variant
broken_variant = None

# %% ex4-squared-loss
import a_package_that_does_not_exist

# %% ex5-standardize
torch = None  # breaks every cell that runs after this one
