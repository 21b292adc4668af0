# %% ex1-basic-init
def fans(shape):
    receptive_field = math.prod(shape[2:])
    return shape[1] * receptive_field, shape[0] * receptive_field


def uniform(shape, a, b, generator):
    return a + (b - a) * torch.rand(shape, generator=generator)


def normal(shape, mean, std, generator):
    return mean + std * torch.randn(shape, generator=generator)


def constant(shape, value):
    return torch.full(shape, float(value))


raise SystemExit("done for today")

# %% ex2-xavier
def xavier_uniform(shape, gain, generator):
    import numpy as np

    fan_in, fan_out = fans(shape)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return np.random.uniform(-bound, bound, size=shape)


def xavier_normal(shape, gain, generator):
    return xavier_normal(shape, gain, generator)

# %% ex3-kaiming
def kaiming_gain(nonlinearity, a=0.0):
    return kaiming_gain(nonlinearity, a)


def kaiming_uniform(shape, a, mode, nonlinearity, generator):
    return None


def kaiming_normal(shape, a, mode, nonlinearity, generator):
    return None

# %% ex4-apply
def init_for_relu_(model):
    return model.apply(lambda module: None)

# %% ex5-propagation
def activation_stds(layers, activation, x):
    return [layer(x) for layer in layers]
