"""The activations chapter's experiment: the bent plane, XOR separability, the chain derivative, live()."""
import doctest

import numpy as np
import pytest

import nnlib
from nnbook.experiments import REGISTRY, activations_experiment, bend_plane, chain_gradient
from nnbook.experiments.activations import (ACTIVATION_CHOICES, LEAKY_SLOPE, XOR_INPUTS, activation_pair,
                                           layer_weights, separating_line, xor_separable)


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def test_layer_weights_are_two_vectors_of_length_s_at_angle_phi_around_the_diagonal():
    W, b = layer_weights(scale=2.0, angle=60.0, bias=0.25)
    np.testing.assert_allclose(np.linalg.norm(W, axis=0), [2.0, 2.0], rtol=1e-14)
    cos_between = W[:, 0] @ W[:, 1] / 4.0
    assert cos_between == pytest.approx(np.cos(np.deg2rad(60.0)), rel=1e-12)
    np.testing.assert_allclose(W[:, 0] + W[:, 1], np.full(2, W[:, 0].sum()), rtol=1e-12)  # symmetric about x1 = x2
    np.testing.assert_array_equal(b, [0.25, -0.25])
    W0, _ = layer_weights(scale=np.sqrt(2.0), angle=0.0, bias=0.0)
    np.testing.assert_allclose(W0, np.ones((2, 2)), rtol=1e-14)           # the hand-made XOR layer's W1


@pytest.mark.parametrize("name", ACTIVATION_CHOICES)
def test_curves_are_the_activation_and_its_derivative(name):
    r = bend_plane(activation=name)
    f, df = activation_pair(name)
    np.testing.assert_allclose(r["f"], f(r["z"]), rtol=1e-14)
    np.testing.assert_allclose(r["df"], df(r["z"]), rtol=1e-14)
    lib = {"sigmoid": nnlib.sigmoid, "tanh": nnlib.tanh, "relu": nnlib.relu, "gelu": nnlib.gelu,
           "leaky_relu": lambda z: nnlib.leaky_relu(z, LEAKY_SLOPE), "linear": lambda z: z}[name]
    np.testing.assert_allclose(r["f"], lib(r["z"]), rtol=1e-14)


@pytest.mark.parametrize("name, scale, angle, bias", [("tanh", 1.5, 60.0, 0.5), ("relu", 2.0, 30.0, -0.75),
                                                      ("sigmoid", 4.0, 120.0, 1.0), ("gelu", 0.5, 0.0, 0.0)])
def test_lines_out_are_the_layer_applied_to_every_grid_point(name, scale, angle, bias):
    r = bend_plane(name, scale, angle, bias, n_lines=5, n_points=7)
    W, b = layer_weights(scale, angle, bias)
    f, df = activation_pair(name)
    assert r["lines_in"].shape == r["lines_out"].shape == (10, 7, 2)
    np.testing.assert_allclose(r["lines_out"], f(r["lines_in"] @ W + b), rtol=1e-13, atol=1e-15)
    Z = r["lines_in"].reshape(-1, 2) @ W + b
    np.testing.assert_allclose(r["flat_fraction"], (df(Z) < 0.05).mean(axis=0))
    assert r["z_range"] == pytest.approx((Z.min(), Z.max()))
    np.testing.assert_allclose(r["xor_out"], f(XOR_INPUTS @ W + b), rtol=1e-14)


def test_grid_covers_the_square_with_vertical_then_horizontal_lines():
    r = bend_plane(n_lines=3, n_points=4, extent=1.0)
    lines = r["lines_in"]
    np.testing.assert_array_equal(lines[:3, :, 0], np.repeat([[-1.0], [0.0], [1.0]], 4, axis=1))   # x1 fixed
    np.testing.assert_array_equal(lines[3:, :, 1], np.repeat([[-1.0], [0.0], [1.0]], 4, axis=1))   # x2 fixed


def test_a_linear_layer_keeps_lines_straight_and_relu_output_is_non_negative():
    lin = bend_plane("linear", 2.0, 45.0, 0.5)["lines_out"]
    second_differences = lin[:, 2:] - 2 * lin[:, 1:-1] + lin[:, :-2]       # zero along a straight, even line
    np.testing.assert_allclose(second_differences, 0.0, atol=1e-12)
    r = bend_plane("relu", 2.0, 45.0, 0.5)
    assert (r["lines_out"] >= 0).all()
    assert np.all(r["flat_fraction"] > 0) and np.all(r["flat_fraction"] < 1)
    assert np.all(bend_plane("linear")["flat_fraction"] == 0)


def test_large_scale_saturates_the_sigmoid():
    small, large = bend_plane("sigmoid", 0.25, 60.0, 0.5), bend_plane("sigmoid", 4.0, 60.0, 0.5)
    assert np.all(small["flat_fraction"] == 0) and np.all(large["flat_fraction"] > 0.4)


def test_xor_separability_of_known_configurations():
    assert not xor_separable(XOR_INPUTS)                                     # the XOR points themselves
    assert xor_separable([[0, 0], [1, 0], [1, 0], [2, 1]])                  # the hand-made ReLU layer's h
    assert not xor_separable([[0, 0], [1, 0], [1, 0], [2, 0]])              # collinear, class 1 in the middle
    assert not xor_separable(np.zeros((4, 2)))                              # everything on one point
    assert not xor_separable([[0, 0], [1, 1], [0, 1], [2, 2]])              # class 1 touches class 0's segment
    with pytest.raises(ValueError, match="shape"):
        xor_separable(np.zeros((3, 2)))


def test_no_affine_layer_ever_separates_xor():
    # an affine map keeps the common midpoint (1/2, 1/2) of the two XOR diagonals, so their images still cross
    rng = np.random.default_rng(0)
    for _ in range(200):
        W, b = rng.normal(size=(2, 2)) * 3, rng.normal(size=2)
        assert not xor_separable(XOR_INPUTS @ W + b)
    assert not any(bend_plane("linear", s, a, b)["separable"]
                   for s in (0.5, 1.5, 4.0) for a in range(0, 181, 15) for b in (-1.0, 0.0, 0.5))


@pytest.mark.parametrize("name, angle", [("relu", 0.0), ("tanh", 0.0), ("sigmoid", 0.0), ("relu", 165.0)])
def test_the_separating_line_separates(name, angle):
    r = bend_plane(name, 1.5, angle, 0.5)
    assert r["separable"]
    n, c = r["line"]
    side = r["xor_out"] @ n - c
    assert np.all(side[[1, 2]] > 0) and np.all(side[[0, 3]] < 0)


def test_no_line_when_not_separable():
    r = bend_plane("tanh", 1.5, 90.0, 0.5)
    assert not r["separable"] and r["line"] is None and separating_line(XOR_INPUTS) is None


@pytest.mark.parametrize("name", ACTIVATION_CHOICES)
@pytest.mark.parametrize("weight, x0", [(1.0, 0.5), (1.7, -0.3), (-0.8, 1.2)])
def test_chain_gradient_matches_torch_autograd(torch, name, weight, x0):
    fns = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu, "gelu": torch.nn.functional.gelu,
           "leaky_relu": lambda t: torch.nn.functional.leaky_relu(t, LEAKY_SLOPE), "linear": lambda t: t}
    r = chain_gradient(name, depth=7, weight=weight, x0=x0)
    a0 = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    a, grads = a0, [1.0]
    for _ in range(7):
        a = fns[name](weight * a)
        grads.append(torch.autograd.grad(a, a0, retain_graph=True)[0].item())
    assert r["a"][-1] == pytest.approx(a.item(), rel=1e-12, abs=1e-300)
    np.testing.assert_allclose(r["grad"], grads, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(r["local"], weight * activation_pair(name)[1](r["z"]), rtol=1e-15)


def test_chain_gradient_of_ten_sigmoids_is_below_four_to_the_minus_ten():
    r = chain_gradient("sigmoid", depth=10, weight=1.0, x0=0.5)
    assert r["grad"].shape == (11,) and r["grad"][0] == 1.0
    assert 0 < r["grad"][-1] <= 0.25 ** 10
    assert r["grad"][-1] == pytest.approx(3.4831e-07, rel=1e-4)             # the number the chapter prints
    with pytest.raises(ValueError, match="depth"):
        chain_gradient(depth=0)


def test_unknown_activation_is_refused_with_the_choices_named():
    with pytest.raises(ValueError, match="activation must be one of"):
        bend_plane(activation="softplus")
    with pytest.raises(TypeError, match="no control"):
        activations_experiment.run(weight=1.0)


def test_experiment_is_registered_with_static_activation_and_angle():
    assert REGISTRY["activations"] is activations_experiment
    assert tuple(activations_experiment.static) == ("activation", "angle")
    names = [c.name for c in activations_experiment.controls]
    assert names == ["activation", "scale", "angle", "bias"]


def test_figure_draws_three_panels():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    for name in ("relu", "linear"):
        fig = activations_experiment.figure(activation=name, angle=0.0)
        assert len(fig.axes) == 3
        plt.close(fig)


def test_live_widget_recomputes_when_a_control_moves():
    pytest.importorskip("ipywidgets")
    import matplotlib
    matplotlib.use("Agg")
    from nnbook.widgets import live

    box = live(activations_experiment)
    assert len(box.results) == 1 and box.results[-1]["activation"] == "tanh"
    assert not box.results[-1]["separable"]
    box.controls["activation"].value = "relu"
    assert len(box.results) == 2 and box.results[-1]["activation"] == "relu"
    box.controls["angle"].value = 0.0
    assert len(box.results) == 3 and box.results[-1]["separable"]
    np.testing.assert_allclose(box.results[-1]["W"][:, 0], box.results[-1]["W"][:, 1])
    assert 'data-experiment="activations"' in box._repr_mimebundle_()["text/html"]


def test_docstring_examples_run():
    from nnbook.experiments import activations as module
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 4 and result.failed == 0
