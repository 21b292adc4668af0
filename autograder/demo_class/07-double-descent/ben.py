# %% ex1-min-norm
def min_norm_solution(Phi, Y):
    # The normal equations for every shape: singular when p > n.
    return torch.linalg.solve(Phi.T @ Phi, Phi.T @ Y)

# %% ex2-threshold
def interpolation_threshold(widths, train_mse, tol=1e-8):
    for width, error in zip(widths, train_mse):
        if float(error) < tol:
            return width
    return None

# %% ex3-ridge
def ridge_solution(Phi, Y, lam):
    n, p = Phi.shape
    return torch.linalg.solve(Phi.T @ Phi + lam * torch.eye(p, dtype=Phi.dtype), Phi.T @ Y)


peak_with_ridge = "higher"

# %% ex4-regimes
answers = {"a": True, "b": True, "c": True, "d": True, "e": True}  # bigger always wins, zero training error is best, noise lowers the peak

# %% ex5-sample-wise
def harmful_range(sizes, test_mse):
    errors = [float(e) for e in test_mse]
    return [sizes[errors.index(max(errors))]]


worst_size_for_width_200 = 1000
