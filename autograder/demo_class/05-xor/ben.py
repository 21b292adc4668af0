# %% ex1-xor-net
def make_xor_net():
    # ReLU hidden units and no sigmoid: outputs are not probabilities.
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(2, 2)
            self.fc2 = nn.Linear(2, 1)

        def forward(self, x):
            return self.fc2(torch.relu(self.fc1(x)))

    return Net()

# %% ex2-saturation
def saturation(net, X):
    with torch.no_grad():
        return float((torch.tanh(net.fc1(X)).abs() > 0.99).sum())

# %% ex3-reinitialise
def reinitialise(net, std, generator):
    with torch.no_grad():
        for p in net.parameters():
            p.normal_(0.0, std, generator=generator)
    return net


recommended_std = 4.0  # "bigger weights learn faster"

# %% ex4-symmetry
def train_from_constant(value, steps):
    model = TanhXor()
    for p in model.parameters():
        nn.init.constant_(p, value)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for _ in range(steps):
        optimizer.zero_grad()
        nn.BCELoss()(model(XOR_INPUTS), XOR_TARGETS).backward()
        optimizer.step()
    return model

# %% ex5-table
def success_rates(solved):
    return solved.float().mean(dim=0)


best_setting = (8.0, 0.0)
