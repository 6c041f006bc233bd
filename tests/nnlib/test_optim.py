"""nnlib.optim against torch.optim: same parameters, same gradients, same trajectory.

Both sides start from the same float64 parameters and, at every step, get
their gradient from the same numpy function of their *current* parameters
(plus a fixed random term), so any difference in an update feeds back into
the later gradients and shows up in the trajectory.
"""
import doctest
import math

import numpy as np
import pytest

from nnlib import lr_scheduler, optim
from nnlib.module import Module, Parameter

torch = pytest.importorskip("torch")

N_STEPS = 25
SHAPES = [(3, 4), (4,)]


def _grad_fn(rng, n_steps):
    """A state-dependent gradient: that of sum(c w^2 + sin(3 w)/3) plus a fixed noise term per step."""
    curv = [rng.uniform(0.5, 2.0, size=s) for s in SHAPES]
    noise = [[rng.normal(scale=0.5, size=s) for s in SHAPES] for _ in range(n_steps)]

    def grad(step, ws):
        return [2 * c * w + np.cos(3 * w) + n for c, w, n in zip(curv, ws, noise[step])]

    return grad


def _run_both(make_ours, make_theirs, n_steps=N_STEPS, seed=0, dtype=np.float64, scheduler=None):
    """Trajectories (one array per step per parameter) of nnlib and torch."""
    rng = np.random.default_rng(seed)
    init = [rng.normal(size=s).astype(dtype) for s in SHAPES]
    grad = _grad_fn(rng, n_steps)

    ours = [Parameter(w.copy()) for w in init]
    theirs = [torch.tensor(w.copy(), requires_grad=True) for w in init]
    opt, topt = make_ours(ours), make_theirs(theirs)
    sched = tsched = None
    if scheduler is not None:
        sched, tsched = scheduler[0](opt), scheduler[1](topt)
    traj, ttraj = [], []
    for step in range(n_steps):
        opt.zero_grad()
        for p, g in zip(ours, grad(step, [p.data for p in ours])):
            p.grad += g.astype(dtype)
        opt.step()
        with torch.no_grad():
            gs = grad(step, [t.detach().numpy() for t in theirs])
        for t, g in zip(theirs, gs):
            t.grad = torch.from_numpy(g.astype(dtype))
        topt.step()
        if sched is not None:
            sched.step()
            tsched.step()
        traj.append([p.data.copy() for p in ours])
        ttraj.append([t.detach().numpy().copy() for t in theirs])
    return traj, ttraj, opt


def _assert_same_trajectory(traj, ttraj, rtol, atol=0.0):
    for step, (ws, tws) in enumerate(zip(traj, ttraj)):
        for i, (w, tw) in enumerate(zip(ws, tws)):
            np.testing.assert_allclose(w, tw, rtol=rtol, atol=atol,
                                       err_msg=f"parameter {i} differs from torch after step {step + 1}")


# (nnlib optimiser, its kwargs, torch optimiser name, torch kwargs)
CASES = [
    ("SGD", dict(lr=0.05), "SGD", dict(lr=0.05)),
    ("SGD", dict(lr=0.05, momentum=0.9), "SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.8, dampening=0.3), "SGD", dict(lr=0.05, momentum=0.8, dampening=0.3)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True), "SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.05, weight_decay=0.1), "SGD", dict(lr=0.05, weight_decay=0.1)),
    ("SGD", dict(lr=0.03, momentum=0.7, dampening=0.1, weight_decay=0.05), "SGD",
     dict(lr=0.03, momentum=0.7, dampening=0.1, weight_decay=0.05)),
    ("SGD", dict(lr=0.03, momentum=0.9, nesterov=True, weight_decay=0.05), "SGD",
     dict(lr=0.03, momentum=0.9, nesterov=True, weight_decay=0.05)),
    ("Adam", dict(), "Adam", dict()),
    ("Adam", dict(lr=0.05, betas=(0.8, 0.95), eps=1e-6), "Adam", dict(lr=0.05, betas=(0.8, 0.95), eps=1e-6)),
    ("Adam", dict(lr=0.05, betas=(0.0, 0.5), eps=0.1), "Adam", dict(lr=0.05, betas=(0.0, 0.5), eps=0.1)),
    ("Adam", dict(lr=0.02, weight_decay=0.1), "Adam", dict(lr=0.02, weight_decay=0.1)),
    ("AdamW", dict(lr=0.02), "AdamW", dict(lr=0.02)),
    ("AdamW", dict(lr=0.02, betas=(0.7, 0.9), eps=1e-4, weight_decay=0.3), "AdamW",
     dict(lr=0.02, betas=(0.7, 0.9), eps=1e-4, weight_decay=0.3)),
    ("RMSprop", dict(), "RMSprop", dict(eps=1e-8)),
    ("RMSprop", dict(lr=0.005, alpha=0.9, eps=1e-3), "RMSprop", dict(lr=0.005, alpha=0.9, eps=1e-3)),
    ("RMSprop", dict(lr=0.005, momentum=0.8), "RMSprop", dict(lr=0.005, momentum=0.8, eps=1e-8)),
    ("RMSprop", dict(lr=0.005, centered=True), "RMSprop", dict(lr=0.005, centered=True, eps=1e-8)),
    ("RMSprop", dict(lr=0.005, alpha=0.8, momentum=0.5, centered=True, weight_decay=0.1), "RMSprop",
     dict(lr=0.005, alpha=0.8, eps=1e-8, momentum=0.5, centered=True, weight_decay=0.1)),
    ("Adagrad", dict(), "Adagrad", dict(eps=1e-10)),
    ("Adagrad", dict(lr=0.1, eps=1e-3, weight_decay=0.2), "Adagrad", dict(lr=0.1, eps=1e-3, weight_decay=0.2)),
]
CASE_IDS = [f"{name}-{','.join(f'{k}={v}' for k, v in kw.items()) or 'defaults'}" for name, kw, _, _ in CASES]


@pytest.mark.parametrize("name, kwargs, tname, tkwargs", CASES, ids=CASE_IDS)
def test_trajectory_matches_torch_in_float64(name, kwargs, tname, tkwargs):
    traj, ttraj, _ = _run_both(lambda ps: getattr(optim, name)(ps, **kwargs),
                               lambda ts: getattr(torch.optim, tname)(ts, **tkwargs))
    _assert_same_trajectory(traj, ttraj, rtol=1e-11, atol=1e-14)


@pytest.mark.parametrize("name, kwargs, tname, tkwargs", CASES[::3], ids=CASE_IDS[::3])
def test_trajectory_matches_torch_in_float32_and_keeps_dtype(name, kwargs, tname, tkwargs):
    traj, ttraj, opt = _run_both(lambda ps: getattr(optim, name)(ps, **kwargs),
                                 lambda ts: getattr(torch.optim, tname)(ts, **tkwargs), dtype=np.float32)
    for p in opt.params:
        assert p.data.dtype == np.float32 and p.grad.dtype == np.float32, f"dtype became {p.data.dtype}"
        for key, value in opt.state[p].items():
            if isinstance(value, np.ndarray):
                assert value.dtype == np.float32, f"state {key!r} has dtype {value.dtype}, expected float32"
    _assert_same_trajectory(traj, ttraj, rtol=1e-5, atol=1e-6)


def test_update_is_in_place_on_the_parameter_array():
    p = Parameter(np.ones(3))
    data = p.data
    opt = optim.Adam([p], lr=0.1)
    p.grad[...] = [1.0, -2.0, 3.0]
    opt.step()
    assert p.data is data, "step() replaced p.data instead of updating it in place"
    assert not np.allclose(data, 1.0)


@pytest.mark.parametrize("beta", [0.5, 0.9, 0.99])
def test_ema_momentum_equals_torch_sgd_with_lr_times_one_minus_beta(beta):
    lr = 0.1
    traj, ttraj, _ = _run_both(lambda ps: optim.SGDMomentumEMA(ps, lr=lr, beta=beta),
                               lambda ts: torch.optim.SGD(ts, lr=lr * (1 - beta), momentum=beta))
    _assert_same_trajectory(traj, ttraj, rtol=1e-11, atol=1e-14)


def test_ema_momentum_velocity_is_one_minus_beta_times_torch_buffer():
    beta = 0.9
    _, _, ema = _run_both(lambda ps: optim.SGDMomentumEMA(ps, lr=0.1, beta=beta),
                          lambda ts: torch.optim.SGD(ts, lr=0.1 * (1 - beta), momentum=beta), n_steps=3)
    _, _, sgd = _run_both(lambda ps: optim.SGD(ps, lr=0.1 * (1 - beta), momentum=beta),
                          lambda ts: torch.optim.SGD(ts, lr=0.1 * (1 - beta), momentum=beta), n_steps=3)
    for p, q in zip(ema.params, sgd.params):
        np.testing.assert_allclose(ema.state[p]["velocity"], (1 - beta) * sgd.state[q]["momentum_buffer"], rtol=1e-12)


# -- schedulers --------------------------------------------------------------
SCHEDULERS = [
    ("StepLR", dict(step_size=7, gamma=0.5)),
    ("StepLR", dict(step_size=1, gamma=0.9)),
    ("StepLR", dict(step_size=3)),
    ("ExponentialLR", dict(gamma=0.93)),
    ("CosineAnnealingLR", dict(T_max=40)),
    ("CosineAnnealingLR", dict(T_max=10, eta_min=0.01)),  # 50 steps: goes down, up, down again
    ("CosineAnnealingLR", dict(T_max=7, eta_min=0.2)),
]


@pytest.mark.parametrize("name, kwargs", SCHEDULERS, ids=[f"{n}-{k}" for n, k in SCHEDULERS])
def test_scheduler_learning_rates_match_torch(name, kwargs):
    p, t = Parameter(np.zeros(2)), torch.zeros(2, dtype=torch.float64, requires_grad=True)
    opt, topt = optim.SGD([p], lr=0.3), torch.optim.SGD([t], lr=0.3)
    sched, tsched = getattr(optim, name)(opt, **kwargs), getattr(torch.optim.lr_scheduler, name)(topt, **kwargs)
    assert sched.get_last_lr() == tsched.get_last_lr() == [0.3]
    # Step/Exponential use torch's multiplicative recursion: identical bits. Cosine
    # uses the closed form, torch a recursion: equal up to rounding (1e-12).
    rtol = 1e-12 if name == "CosineAnnealingLR" else 0.0
    for epoch in range(1, 51):
        t.grad = torch.zeros(2, dtype=torch.float64)
        opt.step()
        topt.step()
        sched.step()
        tsched.step()
        (lr,), (tlr,) = sched.get_last_lr(), tsched.get_last_lr()
        assert opt.lr == lr == opt.param_groups[0]["lr"]
        assert math.isclose(lr, tlr, rel_tol=rtol, abs_tol=1e-15), f"epoch {epoch}: lr {lr!r}, torch {tlr!r}"


def test_cosine_annealing_reaches_eta_min_at_T_max():
    opt = optim.SGD([Parameter(np.zeros(1))], lr=1.0)
    sched = optim.CosineAnnealingLR(opt, T_max=5, eta_min=0.1)
    for _ in range(5):
        sched.step()
    assert math.isclose(opt.lr, 0.1, rel_tol=1e-15)


def test_scheduled_training_trajectory_matches_torch():
    traj, ttraj, _ = _run_both(lambda ps: optim.Adam(ps, lr=0.05), lambda ts: torch.optim.Adam(ts, lr=0.05),
                               scheduler=(lambda o: optim.CosineAnnealingLR(o, T_max=20, eta_min=1e-3),
                                          lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, 20, 1e-3)))
    _assert_same_trajectory(traj, ttraj, rtol=1e-11, atol=1e-14)


def test_schedulers_are_exposed_by_optim_like_torch():
    assert optim.StepLR is lr_scheduler.StepLR
    for name in ("StepLR", "ExponentialLR", "CosineAnnealingLR"):
        assert name in optim.__all__


def test_scheduler_state_dict_round_trip_continues_the_schedule():
    opt = optim.SGD([Parameter(np.zeros(1))], lr=1.0)
    sched = optim.StepLR(opt, step_size=2, gamma=0.5)
    for _ in range(3):
        sched.step()
    saved, saved_lr = sched.state_dict(), opt.lr
    opt2 = optim.SGD([Parameter(np.zeros(1))], lr=saved_lr)
    sched2 = optim.StepLR(opt2, step_size=5)
    sched2.load_state_dict(saved)
    sched.step()
    sched2.step()
    assert sched2.get_last_lr() == sched.get_last_lr() == [0.25]


# -- bookkeeping ---------------------------------------------------------------
def test_zero_grad_sets_gradients_to_zero_in_place():
    ps = [Parameter(np.ones((2, 2))), Parameter(np.ones(3, dtype=np.float32))]
    grads = [p.grad for p in ps]
    for p in ps:
        p.grad += 5.0
    optim.SGD(ps, lr=0.1).zero_grad()
    for p, g in zip(ps, grads):
        assert p.grad is g and not g.any()


def test_params_may_be_a_generator_and_lr_is_the_first_group():
    ps = [Parameter(np.ones(2)), Parameter(np.ones(3))]
    opt = optim.SGD((p for p in ps), lr=0.1)
    assert opt.params == ps and opt.param_groups[0]["params"] == ps
    opt.lr = 0.05
    assert opt.param_groups[0]["lr"] == 0.05
    for p in ps:
        p.grad[...] = 1.0
    opt.step()
    np.testing.assert_allclose(ps[1].data, 0.95)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "SGDMomentumEMA"])
def test_state_dict_round_trip_resumes_the_same_trajectory(name):
    kwargs = dict(lr=0.05, momentum=0.9) if name in ("SGD", "RMSprop") else dict(lr=0.05)
    rng = np.random.default_rng(1)
    w0, grads = rng.normal(size=4), rng.normal(size=(8, 4))
    a = Parameter(w0.copy())
    opt_a = getattr(optim, name)([a], **kwargs)
    for g in grads[:4]:
        a.grad[...] = g
        opt_a.step()
    b = Parameter(a.data.copy())
    opt_b = getattr(optim, name)([b], lr=1.0)
    opt_b.load_state_dict(opt_a.state_dict())
    for g in grads[4:]:
        a.grad[...] = g
        b.grad[...] = g
        opt_a.step()
        opt_b.step()
    np.testing.assert_array_equal(b.data, a.data)


def test_docstring_examples_run():
    for module in (optim, lr_scheduler):
        result = doctest.testmod(module)
        assert result.failed == 0 and result.attempted > 0, f"{module.__name__}: {result}"


# -- bad input -------------------------------------------------------------------
def _p():
    return [Parameter(np.zeros(2))]


@pytest.mark.parametrize("make, error, match", [
    (lambda: optim.SGD([], lr=0.1), ValueError, "params is empty"),
    (lambda: optim.SGD(iter([]), lr=0.1), ValueError, "params is empty"),
    (lambda: optim.SGD([np.zeros(2)], lr=0.1), TypeError, r"params\[0\] must be an nnlib Parameter"),
    (lambda: optim.SGD(Parameter(np.zeros(2)), lr=0.1), TypeError, "iterable of Parameters"),
    (lambda: optim.SGD(Module(), lr=0.1), TypeError, r"model\.parameters\(\)"),
    (lambda: optim.SGD(_p() * 2, lr=0.1), ValueError, "more than once"),
    (lambda: optim.SGD(_p(), lr=-0.1), ValueError, "lr must be >= 0.0, got -0.1"),
    (lambda: optim.SGD(_p(), lr=0.1, momentum=-0.5), ValueError, "momentum must be >= 0.0, got -0.5"),
    (lambda: optim.SGD(_p(), lr=0.1, weight_decay=-1), ValueError, "weight_decay must be >= 0.0, got -1"),
    (lambda: optim.SGD(_p(), lr=0.1, nesterov=True), ValueError, "nesterov=True requires momentum > 0"),
    (lambda: optim.SGD(_p(), lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), ValueError, "dampening=0.1"),
    (lambda: optim.SGD(_p(), lr="0.1"), TypeError, "lr must be a real number"),
    (lambda: optim.Adam(_p(), lr=-1e-3), ValueError, "lr must be >= 0.0, got -0.001"),
    (lambda: optim.Adam(_p(), betas=(1.0, 0.999)), ValueError, r"betas\[0\] must be in \[0, 1\), got 1.0"),
    (lambda: optim.Adam(_p(), betas=(0.9, -0.1)), ValueError, r"betas\[1\] must be >= 0.0, got -0.1"),
    (lambda: optim.Adam(_p(), betas=0.9), TypeError, "betas must be a pair"),
    (lambda: optim.Adam(_p(), eps=-1e-8), ValueError, "eps must be >= 0.0, got -1e-08"),
    (lambda: optim.Adam(_p(), weight_decay=-0.1), ValueError, "weight_decay must be >= 0.0, got -0.1"),
    (lambda: optim.AdamW(_p(), weight_decay=-0.1), ValueError, "weight_decay must be >= 0.0"),
    (lambda: optim.RMSprop(_p(), alpha=1.5), ValueError, "alpha must be <= 1.0, got 1.5"),
    (lambda: optim.RMSprop(_p(), eps=-1.0), ValueError, "eps must be >= 0.0, got -1.0"),
    (lambda: optim.Adagrad(_p(), eps=-1.0), ValueError, "eps must be >= 0.0, got -1.0"),
    (lambda: optim.Adagrad(_p(), lr=-1.0), ValueError, "lr must be >= 0.0, got -1.0"),
    (lambda: optim.SGDMomentumEMA(_p(), lr=0.1, beta=1.0), ValueError, r"beta must be in \[0, 1\), got 1.0"),
    (lambda: optim.StepLR(object(), step_size=2), TypeError, "optimizer must be an Optimizer"),
    (lambda: optim.StepLR(optim.SGD(_p(), lr=1.0), step_size=0), ValueError, "step_size must be >= 1, got 0"),
    (lambda: optim.StepLR(optim.SGD(_p(), lr=1.0), step_size=2.5), TypeError, "step_size must be an integer"),
    (lambda: optim.ExponentialLR(optim.SGD(_p(), lr=1.0), gamma=0.0), ValueError, "gamma must be > 0.0, got 0.0"),
    (lambda: optim.CosineAnnealingLR(optim.SGD(_p(), lr=1.0), T_max=0), ValueError, "T_max must be >= 1"),
    (lambda: optim.CosineAnnealingLR(optim.SGD(_p(), lr=1.0), 5, eta_min=-1), ValueError, "eta_min must be >= 0.0"),
])
def test_bad_input_raises_an_error_naming_the_argument(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_setting_a_negative_lr_by_hand_is_refused():
    opt = optim.SGD(_p(), lr=0.1)
    with pytest.raises(ValueError, match="lr must be >= 0.0, got -1"):
        opt.lr = -1


def test_step_refuses_a_gradient_of_another_shape_or_dtype():
    p = Parameter(np.zeros(3))
    opt = optim.SGD([p], lr=0.1)
    p.grad = np.zeros(4)
    with pytest.raises(ValueError, match=r"params\[0\]\.grad has shape \(4,\), expected \(3,\)"):
        opt.step()
    p.grad = np.zeros(3, dtype=np.float32)
    with pytest.raises(TypeError, match="dtype float32, expected float64"):
        opt.step()


# -- gradients that are not arrays of the parameter's shape and dtype, in every optimiser -----
EVERY_OPTIMISER = {
    "SGD": lambda ps: optim.SGD(ps, lr=0.1),
    "SGD momentum": lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
    "SGD Nesterov": lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
    "SGDMomentumEMA": lambda ps: optim.SGDMomentumEMA(ps, lr=0.1),
    "Adam": lambda ps: optim.Adam(ps, lr=0.1),
    "AdamW": lambda ps: optim.AdamW(ps, lr=0.1),
    "RMSprop": lambda ps: optim.RMSprop(ps, lr=0.1),
    "RMSprop centered momentum": lambda ps: optim.RMSprop(ps, lr=0.1, momentum=0.5, centered=True),
    "Adagrad": lambda ps: optim.Adagrad(ps, lr=0.1),
}
TORCH_TWIN = {
    "SGD": lambda ts: torch.optim.SGD(ts, lr=0.1),
    "SGD momentum": lambda ts: torch.optim.SGD(ts, lr=0.1, momentum=0.9),
    "SGD Nesterov": lambda ts: torch.optim.SGD(ts, lr=0.1, momentum=0.9, nesterov=True),
    "SGDMomentumEMA": lambda ts: torch.optim.SGD(ts, lr=0.1 * (1 - 0.9), momentum=0.9),
    "Adam": lambda ts: torch.optim.Adam(ts, lr=0.1),
    "AdamW": lambda ts: torch.optim.AdamW(ts, lr=0.1),
    "RMSprop": lambda ts: torch.optim.RMSprop(ts, lr=0.1, eps=1e-8),
    "RMSprop centered momentum": lambda ts: torch.optim.RMSprop(ts, lr=0.1, eps=1e-8, momentum=0.5, centered=True),
    "Adagrad": lambda ts: torch.optim.Adagrad(ts, lr=0.1, eps=1e-10),
}
BAD_GRADS = [  # (what goes into params[1].grad, the error, the message)
    ([0.5, 0.5, 0.5], TypeError,
     r"params\[1\]\.grad is a list, expected an ndarray of shape \(3,\) and dtype float32 like params\[1\]\.data"),
    (None, TypeError, r"params\[1\]\.grad is None, expected an ndarray .*never None: zero_grad\(\)"),
    (0.5, TypeError, r"params\[1\]\.grad is a float, expected an ndarray of shape \(3,\) and dtype float32"),
    (np.zeros((3, 1), np.float32), ValueError, r"params\[1\]\.grad has shape \(3, 1\), expected \(3,\) like its data"),
    (np.zeros(3), TypeError, r"params\[1\]\.grad has dtype float64, expected float32 like its data"),
]


def _two_params():
    return [Parameter(np.array([[1.0, -2.0]])), Parameter(np.array([0.5, 1.5, -1.0], dtype=np.float32))]


@pytest.mark.parametrize("name", list(EVERY_OPTIMISER))
@pytest.mark.parametrize("grad, error, message", BAD_GRADS, ids=["list", "None", "float", "shape", "dtype"])
def test_every_optimiser_refuses_a_bad_gradient_before_changing_any_parameter(name, grad, error, message):
    ps = _two_params()
    opt = EVERY_OPTIMISER[name](ps)
    ps[0].grad[...] = 1.0
    ps[1].grad = grad
    before = [p.data.copy() for p in ps]
    with pytest.raises(error, match=message):
        opt.step()
    for p, b in zip(ps, before):  # params[0] was valid, but nothing moved
        np.testing.assert_array_equal(p.data, b)
    assert opt.state == {}


@pytest.mark.parametrize("name", list(EVERY_OPTIMISER))
def test_every_optimiser_refuses_parameter_data_rebound_to_something_else(name):
    ps = _two_params()
    opt = EVERY_OPTIMISER[name](ps)
    ps[1].data = [0.5, 1.5, -1.0]
    with pytest.raises(TypeError, match=r"params\[1\]\.data is list, expected a float32 or float64 ndarray"):
        opt.step()
    ps[1].data = np.arange(3)
    with pytest.raises(TypeError, match=r"params\[1\]\.data is an ndarray of dtype int64"):
        opt.step()
    ps[1].data = np.zeros(3, np.float32)
    ps[1].data.flags.writeable = False
    with pytest.raises(ValueError, match=r"params\[1\]\.data is a read-only array"):
        opt.step()


@pytest.mark.parametrize("name", list(EVERY_OPTIMISER))
def test_nan_and_inf_gradients_are_not_refused_and_spread_as_in_torch(name):
    # Documented choice: like torch.optim, a step takes non-finite gradients as they are; the training
    # loop (nnlib.train.fit) and optimize_path report the divergence they cause.
    g = np.array([[np.nan, 1.0]]), np.array([np.inf, 1.0, -1.0], dtype=np.float32)
    ps = _two_params()
    ts = [torch.tensor(p.data.copy(), requires_grad=True) for p in ps]
    opt, topt = EVERY_OPTIMISER[name](ps), TORCH_TWIN[name](ts)
    for p, t, gi in zip(ps, ts, g):
        p.grad[...] = gi
        t.grad = torch.from_numpy(gi.copy())
    with np.errstate(invalid="ignore"):  # inf - inf and 0 * inf make the NaNs, as in torch
        opt.step()
    topt.step()
    for p, t in zip(ps, ts):  # float32 rounding (centered RMSprop subtracts close numbers): rtol 1e-5
        np.testing.assert_allclose(p.data, t.detach().numpy(), rtol=1e-5 if p.data.dtype == np.float32 else 1e-12,
                                   equal_nan=True)
    assert np.isnan(ps[0].data[0, 0]) and np.isfinite(ps[0].data[0, 1])


def test_zero_grad_replaces_a_gradient_that_is_not_an_array_of_the_right_kind():
    ps = _two_params()
    opt = optim.Adam(ps)
    ps[0].grad, ps[1].grad = [1.0, 2.0], np.ones(3)  # a list; float64 for a float32 parameter
    opt.zero_grad()
    for p in ps:
        assert type(p.grad) is np.ndarray and p.grad.shape == p.data.shape and p.grad.dtype == p.data.dtype
        assert not p.grad.any()


@pytest.mark.parametrize("state_dict, error, message", [
    ([1, 2], TypeError, "state_dict must be a dict with keys 'state' and 'param_groups'.*got list"),
    ({"state": {}}, TypeError, r"got a dict with keys \['state'\]"),
    ({"state": {}, "param_groups": [{"params": [0, 1]}] * 2}, ValueError, "a list of one dict"),
    ({"state": {}, "param_groups": [{"params": [0]}]}, ValueError,
     "state_dict holds 1 parameters, this optimiser has 2"),
    ({"state": {5: {}}, "param_groups": [{"params": [0, 1], "lr": 0.1, "momentum": 0.0, "dampening": 0.0,
                                          "nesterov": False, "weight_decay": 0.0}]},
     ValueError, r"has the key 5, expected parameter indices 0 \.\. 1"),
])
def test_load_state_dict_refuses_malformed_input_and_changes_nothing(state_dict, error, message):
    ps = _two_params()
    opt = optim.SGD(ps, lr=0.1)
    with pytest.raises(error, match=message):
        opt.load_state_dict(state_dict)
    assert opt.lr == 0.1 and opt.state == {}


def test_load_state_dict_refuses_the_state_of_another_kind_of_optimiser():
    ps = _two_params()
    adam = optim.Adam(ps)
    with pytest.raises(ValueError, match=r"hyperparameters \['betas', 'eps', 'lr', 'weight_decay'\], but SGD has"):
        optim.SGD(ps, lr=0.1).load_state_dict(adam.state_dict())
