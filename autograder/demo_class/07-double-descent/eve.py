# %% ex1-min-norm
def min_norm_solution(Phi, Y):
    n, p = Phi.shape
    if p > n:
        return Phi.T @ torch.linalg.solve(Phi @ Phi.T, Y)
    return torch.linalg.solve(Phi.T @ Phi, Phi.T @ Y)

# %% ex2-threshold
def interpolation_threshold(widths, train_mse, tol=1e-8):
    below = [w for w, e in zip(widths, train_mse) if float(e) < tol]
    return below[0] if below else None

# %% ex3-ridge
def ridge_solution(Phi, Y, lam):
    n, p = Phi.shape
    if p > n:
        return Phi.T @ torch.linalg.solve(Phi @ Phi.T + lam * torch.eye(n, dtype=Phi.dtype), Y)
    return torch.linalg.solve(Phi.T @ Phi + lam * torch.eye(p, dtype=Phi.dtype), Phi.T @ Y)


peak_with_ridge = "lower"

# %% ex4-regimes
answers = {"a": True, "b": False, "c": False, "d": False, "e": False}  # misses e: the peak sits at p = n

# %% ex5-sample-wise
def harmful_range(sizes, test_mse):
    out = []
    for i in range(1, len(sizes)):
        if float(test_mse[i]) > float(test_mse[i - 1]):
            out.append(sizes[i])
    return out


worst_size_for_width_200 = 200
