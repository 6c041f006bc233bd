"""The appendices: nnbook.listings (running a source listing as printed) and the errata's key claims."""
import doctest
import os
import warnings

import numpy as np
import pytest

import nnbook.listings
from nnbook.listings import ListingRun, run_listing


def test_listing_that_runs_reports_its_names_and_no_error():
    run = run_listing("a = 2\nb = a * 3")
    assert isinstance(run, ListingRun)
    assert run.ok and run.error is None, run.report()
    assert run.namespace == {"a": 2, "b": 6}
    assert run.report() == "ran to the end"


def test_listing_stops_at_first_exception_and_keeps_earlier_names():
    run = run_listing("x = 1\ny = np.zeros(3)\nz = 2")
    assert isinstance(run.error, NameError)
    assert run.report() == "NameError: name 'np' is not defined"
    assert run.namespace == {"x": 1}, "names defined before the failure stay, later ones never run"


def test_listing_sees_only_the_namespace_it_is_given():
    caller = {"np": np}
    run = run_listing("y = np.arange(3).sum()\nleak = 1", caller)
    assert run.ok and run.namespace["y"] == 3
    assert "leak" not in caller, "the caller's dict must not be modified"
    assert "__builtins__" not in run.namespace


def test_listing_collects_each_requested_warning_once_and_ignores_others():
    source = ("import warnings\n"
              "for _ in range(3):\n"
              "    warnings.warn('outdated argument', UserWarning)\n"
              "warnings.warn('internal', DeprecationWarning)\n")
    run = run_listing(source)
    assert run.warnings == ["UserWarning: outdated argument"]
    assert run.report() == "ran to the end\n  (UserWarning: outdated argument)"
    both = run_listing(source, warning_categories=(UserWarning, DeprecationWarning))
    assert both.warnings == ["DeprecationWarning: internal", "UserWarning: outdated argument"]


def test_listing_leaves_the_callers_warning_filters_alone():
    with warnings.catch_warnings(record=True) as outer:
        warnings.simplefilter("always")
        run_listing("import warnings\nwarnings.warn('inside')")
        warnings.warn("outside", UserWarning)
    assert [str(w.message) for w in outer] == ["outside"]


def test_listing_reports_errors_raised_by_a_library_call():
    run = run_listing("import math\nmath.sqrt(-1.0)")
    assert isinstance(run.error, ValueError)
    assert run.report() == "ValueError: math domain error"


@pytest.mark.parametrize("bad, message", [
    (dict(source=b"x = 1"), "source must be the listing as a str"),
    (dict(source="x = 1", namespace=[("np", np)]), "namespace must be a dict"),
    (dict(source="x = 1", warning_categories=(ValueError,)), "warning_categories must hold Warning subclasses"),
])
def test_run_listing_refuses_bad_arguments(bad, message):
    with pytest.raises(TypeError, match=message):
        run_listing(**bad)


def test_syntax_errors_are_raised_not_reported():
    # a listing that does not even parse is a mistake in the notebook, not a demonstration
    with pytest.raises(SyntaxError):
        run_listing("def f(:\n    pass")


def test_listings_docstring_examples_run():
    failures, _ = doctest.testmod(nnbook.listings)
    assert failures == 0


def test_keras3_refuses_lr_in_source_004_listing():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    run = run_listing("opt = keras.optimizers.SGD(lr=0.01)", {"keras": keras})
    assert isinstance(run.error, ValueError) and "lr" in str(run.error), run.report()
    fixed = run_listing("opt = keras.optimizers.SGD(learning_rate=0.01)", {"keras": keras})
    assert fixed.ok, fixed.report()
    missing_numpy = run_listing("x_train = np.random.rand(1000, 10)", {"keras": keras})
    assert isinstance(missing_numpy.error, NameError)


def test_errata_000_printed_program_ascends_and_corrected_one_descends():
    from nnbook.experiments.backprop import init_000, train_xor
    init = init_000(np.random.default_rng(0))
    printed = train_xor(*init, lr=0.1, steps=1000, update="ascent")
    assert printed["final_mse"] > 0.49, printed["final_mse"]
    corrected = train_xor(*init, lr=0.1, steps=1000)
    assert abs(corrected["final_mse"] - 0.25) < 1e-3, corrected["final_mse"]
    solved = train_xor(*init, lr=2.0, steps=2000)
    assert solved["final_mse"] < 1e-3, solved["final_mse"]


def test_errata_004_nesterov_lookahead_needs_the_factor_beta():
    torch = pytest.importorskip("torch")
    A = np.diag([1.0, 20.0])
    alpha, beta, steps, start = 0.5, 0.9, 60, np.array([1.0, 1.0])
    p = torch.tensor(start, requires_grad=True)
    opt = torch.optim.SGD([p], lr=alpha * (1 - beta), momentum=beta, nesterov=True)
    reference = []
    for _ in range(steps):
        p.grad = torch.from_numpy(A @ p.detach().numpy())
        opt.step()
        reference.append(p.detach().numpy().copy())

    def ema_nesterov(reach):
        th, v, points = start.copy(), np.zeros(2), []
        for _ in range(steps):
            v = beta * v + (1 - beta) * (A @ (th - reach * v))
            th = th - alpha * v
            points.append(th - alpha * beta * v)
        return np.array(points)

    np.testing.assert_allclose(ema_nesterov(alpha * beta), reference, rtol=1e-12, atol=1e-14)
    assert np.abs(ema_nesterov(alpha) - reference).max() > 1e-2, "004's look-ahead by alpha*v is a different method"


def test_errata_backpropagation_leaves_the_parameters_and_the_optimiser_moves_them():
    import nnlib
    from nnlib import Dense, Sequential, Tanh
    from nnlib.losses import MSELoss
    X, t = nnlib.data.xor()
    net = Sequential(Dense(2, 2, rng=18), Tanh(), Dense(2, 1, rng=19))
    before = [p.data.copy() for p in net.parameters()]
    _, grad = MSELoss().value_and_grad(net(X), t.reshape(-1, 1))
    net.zero_grad()
    net.backward(grad)
    assert all(np.array_equal(b, p.data) for b, p in zip(before, net.parameters()))
    assert any(np.abs(p.grad).max() > 1e-3 for p in net.parameters())
    nnlib.optim.SGD(net.parameters(), lr=0.1).step()
    for b, p in zip(before, net.parameters()):
        np.testing.assert_allclose(p.data, b - 0.1 * p.grad, rtol=1e-15, atol=0)


def test_errata_001_epoch_loss_is_a_mean_of_batch_means_unless_weighted():
    torch = pytest.importorskip("torch")
    from torch.utils.data import DataLoader, TensorDataset
    losses = torch.arange(10, dtype=torch.float64) ** 2
    loader = DataLoader(TensorDataset(torch.arange(10, dtype=torch.float64).unsqueeze(1),
                                      torch.zeros(10, 1, dtype=torch.float64)), batch_size=4)
    batch_means, weighted, n = [], 0.0, 0
    for inputs, labels in loader:
        value = torch.nn.MSELoss()(inputs, labels).item()
        batch_means.append(value)
        weighted += value * len(inputs)
        n += len(inputs)
    assert [len(x) for x, _ in loader] == [4, 4, 2]
    assert sum(batch_means) / len(loader) == pytest.approx(107.5 / 3, rel=1e-15)    # 001's figure
    assert weighted / n == pytest.approx(losses.mean().item(), rel=1e-15) == pytest.approx(28.5)
