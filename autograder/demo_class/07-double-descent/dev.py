# %% ex1-min-norm
def min_norm_solution(Phi, Y):
    raise MemoryError("too big")

# %% ex2-threshold
def interpolation_threshold(widths, train_mse, tol=1e-8):
    for width, error in zip(widths, train_mse):
        if float(error) < tol:
            return width
    return None

# %% ex3-ridge
def ridge_solution(Phi, Y, lam):
    return Phi


peak_with_ridge = "lower"

# %% ex4-regimes
answers = "yes"

# %% ex5-sample-wise
harmful_range = None
worst_size_for_width_200 = "200"
