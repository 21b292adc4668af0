import torch

from helpers.xor import (
    XOR_INPUTS,
    XorNet,
    init_stacked,
    net_from_stack,
    saturation_fraction,
    stacked_from_modules,
    train_one,
    train_stacked,
    weight_norm,
)


def test_batched_training_matches_one_by_one_with_momentum():
    nets = init_stacked(12, 1.0, generator=torch.Generator().manual_seed(0))
    batched = train_stacked(nets, steps=300, lr=0.1, momentum=0.9)
    for index in range(12):
        loss, solved = train_one(net_from_stack(nets, index), steps=300, lr=0.1, momentum=0.9)
        assert solved == bool(batched.solved[index])
        assert abs(loss - batched.loss[index].item()) < 1e-5


def test_batched_relu_mse_matches_and_per_network_momentum():
    torch.manual_seed(1)
    modules = [XorNet(activation="relu") for _ in range(6)]
    nets = stacked_from_modules(modules)
    momentum = torch.tensor([0.0, 0.9, 0.0, 0.9, 0.5, 0.5])
    batched = train_stacked(nets, steps=200, lr=0.05, momentum=momentum, activation="relu", loss="mse")
    for index in range(6):
        reference = net_from_stack(nets, index, activation="relu")
        loss, solved = train_one(reference, steps=200, lr=0.05, momentum=float(momentum[index]), loss="mse")
        assert solved == bool(batched.solved[index])
        assert abs(loss - batched.loss[index].item()) < 1e-5


def test_batched_sigmoid_hidden_units_and_saturated_outputs_match_autograd():
    moderate = init_stacked(8, torch.tensor([0.5, 1.0, 2.0, 8.0]).repeat(2), generator=torch.Generator().manual_seed(3))
    huge = init_stacked(4, 30.0, generator=torch.Generator().manual_seed(4))
    for activation, std_nets in (("sigmoid", moderate), ("tanh", huge)):
        batched = train_stacked(std_nets, steps=150, lr=0.1, momentum=0.9, activation=activation)
        for index in range(len(std_nets)):
            loss, solved = train_one(net_from_stack(std_nets, index, activation=activation), steps=150, lr=0.1,
                                     momentum=0.9)
            assert solved == bool(batched.solved[index])
            assert abs(loss - batched.loss[index].item()) < 1e-4 * max(1.0, loss)


def test_stacking_round_trips_weights():
    torch.manual_seed(2)
    modules = [XorNet() for _ in range(3)]
    rebuilt = net_from_stack(stacked_from_modules(modules), 2)
    x = torch.rand(5, 2)
    assert torch.allclose(rebuilt(x), modules[2](x))


def test_small_init_with_momentum_solves_most_seeds_and_large_init_few():
    generator = torch.Generator().manual_seed(3)
    small = train_stacked(init_stacked(100, 0.1, generator=generator), steps=2000, lr=0.1, momentum=0.9)
    large = train_stacked(init_stacked(100, 8.0, generator=generator), steps=2000, lr=0.1, momentum=0.9)
    assert small.solved.float().mean() > 0.7 > 0.3 > large.solved.float().mean()


def test_training_does_not_modify_the_initial_weights():
    nets = init_stacked(4, 0.5, generator=torch.Generator().manual_seed(4))
    before = [t.clone() for t in nets.tensors()]
    train_stacked(nets, steps=10, lr=0.1)
    assert all(torch.equal(a, b) for a, b in zip(before, nets.tensors(), strict=True))


def test_weight_norm_saturation_and_select_follow_each_network():
    nets = init_stacked(3, torch.tensor([0.1, 1.0, 50.0]), generator=torch.Generator().manual_seed(0))
    norms = weight_norm(nets)
    assert torch.allclose(norms[1], torch.cat([t[1].reshape(-1) for t in nets.tensors()]).norm())
    modules = [net_from_stack(nets, i) for i in range(3)]
    want = [(torch.tanh(m.fc1(XOR_INPUTS)).abs() > 0.99).float().mean().item() for m in modules]
    assert saturation_fraction(nets).tolist() == want
    assert want[0] == 0.0 and want[2] > 0.5
    picked = nets.select(torch.tensor([2, 0]))
    assert len(picked) == 2 and torch.equal(picked.W2[0], nets.W2[2])
    assert torch.equal(weight_norm(nets.select(torch.tensor([False, True, False]))), norms[1:2])
