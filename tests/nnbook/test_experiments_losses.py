"""The loss-functions chapter's experiments: compute checked numerically, draw and live widgets headless."""

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import nnlib  # noqa: E402
from nnbook.experiments import REGISTRY  # noqa: E402
from nnbook.experiments import losses as lx  # noqa: E402

EXPERIMENTS = [lx.loss_explorer_experiment, lx.softmax_temperature_experiment, lx.loss_surface_experiment]


@pytest.fixture
def torch():
    torch = pytest.importorskip("torch")
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # compare in double precision
    yield torch
    torch.set_default_dtype(previous)


# -- logit_gradients ----------------------------------------------------------------------------

def test_logit_gradients_keep_float32_and_refuse_mismatched_shapes():
    g_se, g_bce = lx.logit_gradients(np.array([0.0, 2.0], np.float32), [1.0, 0.0])
    assert g_se.dtype == g_bce.dtype == np.float32
    np.testing.assert_allclose(g_bce, nnlib.sigmoid(np.array([0.0, 2.0])) - [1.0, 0.0], rtol=1e-6)
    with pytest.raises(ValueError, match="y has shape"):
        lx.logit_gradients(np.zeros((3, 1)), np.zeros(3))


# -- loss_explorer --------------------------------------------------------------------------------

@pytest.mark.parametrize("prediction, target", [(0.2, 1.0), (0.5, 0.0), (0.97, 0.3), (0.01, 1.0)])
def test_loss_explorer_values_match_the_formulas_and_torch(torch, prediction, target):
    r = lx.loss_explorer(prediction, target)
    p, y = prediction, target
    assert r["logit"] == pytest.approx(np.log(p / (1 - p)), rel=1e-12)
    assert r["se"] == pytest.approx(0.5 * (p - y) ** 2, rel=1e-12)
    assert r["bce"] == pytest.approx(-(y * np.log(p) + (1 - y) * np.log(1 - p)), rel=1e-12)
    assert r["se_grad_p"] == pytest.approx(p - y, rel=1e-12)
    assert r["bce_grad_p"] == pytest.approx((p - y) / (p * (1 - p)), rel=1e-12)
    z = torch.tensor([r["logit"]], requires_grad=True)
    (0.5 * (torch.sigmoid(z) - y) ** 2).sum().backward()
    assert r["se_grad_z"] == pytest.approx(z.grad.item(), rel=1e-10)
    z = torch.tensor([r["logit"]], requires_grad=True)
    torch.nn.functional.binary_cross_entropy_with_logits(z, torch.tensor([y])).backward()
    assert r["bce_grad_z"] == pytest.approx(z.grad.item(), rel=1e-10)
    i = np.argmin(np.abs(r["p"] - 0.5))
    assert r["bce_curve"][i] == pytest.approx(-(y * np.log(r["p"][i]) + (1 - y) * np.log(1 - r["p"][i])), rel=1e-12)


@pytest.mark.parametrize("bad", [0.0, 1.0, -0.1, 1.5])
def test_loss_explorer_refuses_predictions_outside_the_open_interval(bad):
    with pytest.raises(ValueError):
        lx.loss_explorer(prediction=bad)


# -- softmax_temperature --------------------------------------------------------------------------

@pytest.mark.parametrize("temperature, target", [(1.0, 0), (0.3, 2), (3.7, 4)])
def test_softmax_temperature_matches_torch_softmax_loss_and_autograd(torch, temperature, target):
    r = lx.softmax_temperature(temperature, target)
    z = torch.tensor(lx.TEMPERATURE_LOGITS, requires_grad=True)
    p = torch.softmax(z / temperature, dim=0)
    np.testing.assert_allclose(r["probs"], p.detach().numpy(), rtol=1e-13)
    loss = torch.nn.functional.cross_entropy((z / temperature)[None], torch.tensor([target]))
    loss.backward()
    assert r["loss"] == pytest.approx(loss.item(), rel=1e-13)
    np.testing.assert_allclose(r["grad"], z.grad.numpy(), rtol=1e-12, atol=1e-16)
    pn = p.detach().numpy()
    assert r["entropy"] == pytest.approx(-np.sum(pn * np.log(pn)), rel=1e-12)


def test_softmax_temperature_limits_one_hot_when_cold_uniform_when_hot():
    cold = lx.softmax_temperature(0.1, 0)
    assert cold["probs"][0] > 0.9999 and cold["loss"] < 1e-4
    assert lx.softmax_temperature(100.0, 0)["loss"] == pytest.approx(np.log(5), rel=0.02)
    r = lx.softmax_temperature(1.0, 0)
    assert r["entropy_curve"][-1] == pytest.approx(np.log(5), rel=2e-3)
    assert np.all(np.diff(r["entropy_curve"]) > 0)  # hotter is always more spread out


@pytest.mark.parametrize("kwargs", [{"temperature": 0.0}, {"temperature": -1.0}, {"target": 5}, {"target": 1.5}])
def test_softmax_temperature_refuses_bad_settings(kwargs):
    with pytest.raises(ValueError):
        lx.softmax_temperature(**kwargs)


# -- loss surface -------------------------------------------------------------------------------

def test_surface_data_is_60_standardised_moons_points():
    X, y = lx.surface_data()
    assert X.shape == (60, 2) and y.shape == (60,)
    np.testing.assert_allclose(X.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(X.std(axis=0), 1, rtol=1e-12)
    assert sorted(np.unique(y)) == [0.0, 1.0] and y.sum() == 30


@pytest.mark.parametrize("b", [0.0, -1.5])
def test_logistic_loss_surface_matches_nnlib_losses_at_grid_points(b):
    X, y = lx.surface_data()
    w1, w2 = np.linspace(-8, 8, 9), np.linspace(-4, 4, 5)
    bce = lx.logistic_loss_surface(X, y, w1, w2, b, "binary cross-entropy")
    mse = lx.logistic_loss_surface(X, y, w1, w2, b, "mean squared error")
    assert bce.shape == mse.shape == (5, 9)
    for i, j in [(0, 0), (2, 4), (4, 8), (1, 6)]:
        z = X @ np.array([w1[j], w2[i]]) + b
        assert bce[i, j] == pytest.approx(float(nnlib.binary_cross_entropy_with_logits(z, y)), rel=1e-12)
        assert mse[i, j] == pytest.approx(float(nnlib.mse(nnlib.sigmoid(z), y)), rel=1e-12)


@pytest.mark.parametrize("loss", lx.LOSSES)
def test_logistic_loss_grad_matches_torch_autograd(torch, loss):
    X, y = lx.surface_data()
    w = torch.tensor([1.3, -0.7], requires_grad=True)
    p = torch.sigmoid(torch.tensor(X) @ w + 0.5)
    if loss == "binary cross-entropy":
        value = torch.nn.functional.binary_cross_entropy(p, torch.tensor(y))
    else:
        value = torch.mean((p - torch.tensor(y)) ** 2)
    value.backward()
    np.testing.assert_allclose(lx.logistic_loss_grad(X, y, [1.3, -0.7], 0.5, loss), w.grad.numpy(), rtol=1e-10)


def test_loss_surface_descends_with_bce_and_stalls_on_the_mse_plateau():
    bce = lx.loss_surface("binary cross-entropy")
    assert np.all(np.diff(bce["path_loss"]) < 0)
    assert bce["path_loss"][-1] < 0.33 and bce["path_loss"][0] > 5.8
    assert bce["path_loss"][-1] == pytest.approx(bce["best_loss"], abs=0.01)
    mse = lx.loss_surface("mean squared error")
    assert mse["path_loss"][-1] > 0.7 > 3 * mse["best_loss"]  # still on the plateau after 40 steps
    assert mse["path"].shape == (41, 2) and mse["L"].shape == (61, 61)


def test_loss_surface_refuses_unknown_loss():
    with pytest.raises(ValueError, match="loss must be one of"):
        lx.loss_surface("hinge")


# -- registry, speed, drawing and live widgets -------------------------------------------------------

@pytest.mark.parametrize("experiment", EXPERIMENTS, ids=lambda e: e.name)
def test_experiment_is_registered_and_static_names_its_controls(experiment):
    assert REGISTRY[experiment.name] is experiment
    names = {c.name for c in experiment.controls}
    assert 1 <= len(experiment.static) <= 2 and set(experiment.static) <= names
    assert experiment.figsize[0] <= 7.0


@pytest.mark.parametrize("experiment", EXPERIMENTS, ids=lambda e: e.name)
def test_every_static_frame_draws(experiment):
    import matplotlib.pyplot as plt

    control = {c.name: c for c in experiment.controls}[experiment.static[0]]
    for value in control.values(2):  # the two ends of the control's range
        fig = experiment.figure(**{control.name: value})
        assert len(fig.axes) >= 2
        plt.close(fig)


@pytest.mark.parametrize("experiment, control, value", [
    (lx.loss_explorer_experiment, "prediction", 0.5),
    (lx.softmax_temperature_experiment, "target", 3),
    (lx.loss_surface_experiment, "loss", "mean squared error"),
], ids=lambda v: v.name if hasattr(v, "name") else str(v))
def test_live_widget_recomputes_when_a_control_moves(experiment, control, value):
    pytest.importorskip("ipywidgets")
    from nnbook.widgets import live

    box = live(experiment)
    before = len(box.results)
    old = box.results[-1] if box.results else experiment.run()
    box.controls[control].value = value
    assert len(box.results) == before + 1
    new = box.results[-1]
    key = {"loss_explorer": "bce", "softmax_temperature": "loss", "loss_surface": "L"}[experiment.name]
    assert not np.array_equal(np.asarray(old[key]), np.asarray(new[key]))


def test_docstring_examples_run():
    import doctest

    result = doctest.testmod(lx, verbose=False)
    assert result.attempted >= 1 and result.failed == 0


@pytest.mark.parametrize("experiment", EXPERIMENTS, ids=lambda e: e.name)
def test_updated_figure_keeps_its_contents_inside_the_figure(experiment):
    """The live view crops to the area measured at its first drawing; a longer title after an update must
    still fit, so every setting's contents (with the crop's margin) lie inside the fixed-layout figure."""
    import itertools

    from nnbook.experiments.core import LIVE_PAD, FigureView

    view = FigureView(experiment)
    view.show(experiment.run())
    view.figure.canvas.draw()
    renderer = view.figure.canvas.get_renderer()
    width, height = experiment.figsize
    for values in itertools.product(*(c.values(3) for c in experiment.controls)):
        view.show(experiment.run(**{c.name: v for c, v in zip(experiment.controls, values)}))
        box = view.figure.get_tightbbox(renderer)
        assert (box.x0 >= LIVE_PAD and box.y0 >= LIVE_PAD and box.x1 <= width - LIVE_PAD
                and box.y1 <= height - LIVE_PAD), f"{experiment.name} at {values}: contents {box.extents} stick out"
    assert view.fresh_draws == 1
