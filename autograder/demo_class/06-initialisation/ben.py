# %% ex1-basic-init
def fans(shape):
    receptive_field = math.prod(shape[2:])
    return shape[1] * receptive_field, shape[0] * receptive_field


def uniform(shape, a, b, generator):
    return torch.empty(shape).uniform_(a, b, generator=generator)


def normal(shape, mean, std, generator):
    return torch.empty(shape).normal_(mean, std, generator=generator)


def constant(shape, value):
    return torch.full(shape, float(value))

# %% ex2-xavier
def xavier_uniform(shape, gain, generator):
    fan_in, _ = fans(shape)
    bound = gain * math.sqrt(6.0 / fan_in)  # forgets fan_out
    return uniform(shape, -bound, bound, generator)


def xavier_normal(shape, gain, generator):
    fan_in, _ = fans(shape)
    return normal(shape, 0.0, gain * math.sqrt(2.0 / fan_in), generator)

# %% ex3-kaiming
def kaiming_gain(nonlinearity, a=0.0):
    return {"linear": 1.0, "sigmoid": 1.0, "tanh": 5 / 3, "relu": 2.0, "leaky_relu": 2.0 / (1 + a * a)}[nonlinearity]


def kaiming_uniform(shape, a, mode, nonlinearity, generator):
    fan = fans(shape)[1]  # always fan_out
    bound = kaiming_gain(nonlinearity, a) * math.sqrt(3.0 / fan)
    return uniform(shape, -bound, bound, generator)


def kaiming_normal(shape, a, mode, nonlinearity, generator):
    fan = fans(shape)[1]
    return normal(shape, 0.0, kaiming_gain(nonlinearity, a) / math.sqrt(fan), generator)

# %% ex4-apply
def init_for_relu_(model):
    # Only looks at the direct children, so nested Linear layers keep their default weights.
    for module in model.children():
        if isinstance(module, nn.Linear):
            nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
            nn.init.zeros_(module.bias)
    return model


default_bound_400 = math.sqrt(6 / 400)

# %% ex5-propagation
def activation_stds(layers, activation, x):
    stds = []
    with torch.no_grad():
        for layer in layers:
            x = activation(layer(x))
            stds.append(x.std().item())
    return stds


best_scheme_for_relu = "Xavier"
