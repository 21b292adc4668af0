import torch
from torch import nn

from helpers.reproducibility import seed_everything
from helpers.training import evaluate, fit, minibatches


def test_minibatches_cover_every_row_once():
    x, y = torch.arange(10).float().reshape(10, 1), torch.arange(10)
    batches = list(minibatches(x, y, 3, generator=torch.Generator().manual_seed(0)))
    assert [len(b[1]) for b in batches] == [3, 3, 3, 1]
    assert sorted(torch.cat([b[1] for b in batches]).tolist()) == list(range(10))
    assert all(torch.equal(bx.reshape(-1).long(), by) for bx, by in batches)
    ordered = list(minibatches(x, y, 4, shuffle=False))
    assert ordered[0][1].tolist() == [0, 1, 2, 3]


def test_minibatches_reject_mismatched_lengths():
    try:
        next(minibatches(torch.zeros(3, 1), torch.zeros(4), 2))
    except ValueError as error:
        assert "3 rows" in str(error)
    else:
        raise AssertionError("expected ValueError")


def test_fit_learns_a_line_and_is_reproducible():
    def run():
        generator = seed_everything(0)
        x = torch.randn(200, 1)
        y = 3 * x + 1
        model = nn.Linear(1, 1)
        history = fit(model, nn.MSELoss(), torch.optim.SGD(model.parameters(), lr=0.1), (x, y),
                      epochs=30, batch_size=20, generator=generator, progress=False)
        return model, history

    model, history = run()
    assert history.train_loss[-1] < 1e-4 < history.train_loss[0]
    assert abs(model.weight.item() - 3) < 0.01 and abs(model.bias.item() - 1) < 0.01
    assert run()[1].train_loss == history.train_loss


def test_early_stopping_restores_the_best_weights():
    generator = seed_everything(1)
    x, y = torch.randn(40, 5), torch.randn(40, 1)
    x_val, y_val = torch.randn(40, 5), torch.randn(40, 1)  # pure noise: validation soon stops improving
    model = nn.Sequential(nn.Linear(5, 64), nn.ReLU(), nn.Linear(64, 1))
    history = fit(model, nn.MSELoss(), torch.optim.Adam(model.parameters(), lr=0.05), (x, y), (x_val, y_val),
                  epochs=200, batch_size=8, patience=3, generator=generator, progress=False)
    assert history.stopped_early and len(history.val_loss) < 200
    assert history.best_epoch == min(range(len(history.val_loss)), key=history.val_loss.__getitem__)
    assert evaluate(model, nn.MSELoss(), x_val, y_val) == min(history.val_loss)


def test_tracked_sets_are_recorded_but_never_steer_training():
    def run(track):
        generator = seed_everything(3)
        x, y = torch.randn(64, 3), torch.randn(64, 1)
        model = nn.Linear(3, 1)
        history = fit(model, nn.MSELoss(), torch.optim.SGD(model.parameters(), lr=0.05), (x, y),
                      (x[:16], y[:16]), epochs=6, batch_size=16, patience=2, track=track, generator=generator,
                      progress=False)
        return model, history

    x_test, y_test = torch.randn(32, 3), torch.randn(32, 1)
    tracked_model, tracked = run({"test": (x_test, y_test)})
    plain_model, plain = run(None)
    assert len(tracked.tracked["test"]) == len(tracked.train_loss)
    assert tracked.train_loss == plain.train_loss and tracked.val_loss == plain.val_loss
    assert torch.equal(tracked_model.weight, plain_model.weight)
