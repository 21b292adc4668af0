# %% ex1-forward-many
def forward_many(W1, b1, W2, b2, X):
    raise NotImplementedError("later")

# %% ex2-saturation
def saturation(net, X):
    return "about half"

# %% ex3-reinitialise
def reinitialise(net, std, generator):
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=generator) * std)
    return net


recommended_std = 0.1

# %% ex4-symmetry
def train_from_constant(value, steps):
    return train_from_constant(value, steps + 1)

# %% ex5-table
def success_rates(solved):
    return solved.float().mean(dim=1)


best_setting = "std 0.1 with momentum"
