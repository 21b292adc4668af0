# %% ex1-basic-init
def fans(shape):
    rf = 1
    for k in shape[2:]:
        rf *= k
    return shape[1] * rf, shape[0] * rf


def uniform(shape, a, b, generator):
    return torch.rand(shape, generator=generator) * (b - a) + a


def normal(shape, mean, std, generator):
    return torch.randn(shape, generator=generator) * std + mean


def constant(shape, value):
    return torch.ones(shape) * value

# %% ex2-xavier
def xavier_uniform(shape, gain, generator):
    fi, fo = fans(shape)
    a = gain * math.sqrt(6 / (fi + fo))
    return uniform(shape, -a, a, generator)


def xavier_normal(shape, gain, generator):
    fi, fo = fans(shape)
    return normal(shape, 0, gain * math.sqrt(2 / (fi + fo)), generator)

# %% ex3-kaiming
def kaiming_gain(nonlinearity, a=0.0):
    if nonlinearity == "leaky_relu":
        return math.sqrt(2 / (1 + a))  # a instead of a squared
    return {"linear": 1.0, "sigmoid": 1.0, "tanh": 5 / 3, "relu": math.sqrt(2)}[nonlinearity]


def kaiming_uniform(shape, a, mode, nonlinearity, generator):
    fan = fans(shape)[0] if mode == "fan_in" else fans(shape)[1]
    b = kaiming_gain(nonlinearity, a) * math.sqrt(3 / fan)
    return uniform(shape, -b, b, generator)


def kaiming_normal(shape, a, mode, nonlinearity, generator):
    fan = fans(shape)[0] if mode == "fan_in" else fans(shape)[1]
    return normal(shape, 0, kaiming_gain(nonlinearity, a) / math.sqrt(fan), generator)

# %% ex4-apply
def init_for_relu_(model):
    def visit(m):
        if isinstance(m, nn.Linear):
            with torch.no_grad():
                m.weight.normal_(0, math.sqrt(2 / m.in_features))
                if m.bias is not None:
                    m.bias.zero_()

    model.apply(visit)
    return model


default_bound_400 = 0.05

# %% ex5-propagation
def activation_stds(layers, activation, x):
    out = []
    with torch.no_grad():
        for layer in layers:
            x = activation(layer(x))
            out.append(float(x.std()))
    return out


best_scheme_for_relu = "Kaiming"
