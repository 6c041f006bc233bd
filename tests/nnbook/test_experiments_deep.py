"""The deep networks chapter's experiment, run headlessly: numbers, the drawing, the widget."""
import math

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from nnlib import BatchNorm1d, GroupNorm, LayerNorm  # noqa: E402
from nnbook.experiments import REGISTRY  # noqa: E402
from nnbook.experiments.deep import (deep_experiment, deep_gradients, draw_normalisation_groups, mlp,  # noqa: E402
                                    normalisation_mask)


def test_the_experiment_is_registered_with_two_static_controls():
    assert REGISTRY["deep"] is deep_experiment
    assert tuple(deep_experiment.static) == ("depth", "initialisation")
    assert {c.name for c in deep_experiment.controls} == {"depth", "activation", "initialisation", "normalisation"}


def test_default_sigmoid_network_has_vanishing_gradients_and_does_not_learn():
    r = deep_experiment.run()
    norms = r["norms"]
    assert norms.shape == (10,)
    assert np.all(np.diff(norms) > 0), "the gradient should shrink at every layer towards the input"
    assert r["ratio"] < 1e-5
    assert r["loss"].shape == (9,) and r["accuracy"].shape == (9,)
    assert abs(r["loss"][0] - math.log(3)) < 0.1 and abs(r["loss"][-1] - math.log(3)) < 0.1
    assert not r["diverged"]


def test_batchnorm_keeps_the_first_layers_gradient_within_a_factor_ten_and_the_network_learns():
    r = deep_gradients(10, "sigmoid", "default", "batchnorm")
    assert 0.1 < r["ratio"] < 10
    assert r["loss"][-1] < r["loss"][0] - 0.1


def test_tanh_with_he_initialisation_learns_and_relu_with_unit_normal_weights_diverges():
    good = deep_gradients(10, "tanh", "he", "none")
    assert 0.01 < good["ratio"] < 10 and good["loss"][-1] < good["loss"][0] - 0.5
    bad = deep_gradients(10, "relu", "normal 1", "none")
    assert bad["diverged"] and bad["norms"].max() > 1e3


def test_tiny_weights_shrink_every_relu_layers_gradient_together():
    r = deep_gradients(10, "relu", "normal 0.01", "none")
    assert r["norms"].max() < 1e-10 and 0.1 < r["ratio"] < 10


def test_compute_is_deterministic():
    # speed is measured by benchmarks/bench_experiments.py, not asserted here
    a, b = deep_experiment.run(depth=6, activation="tanh"), deep_experiment.run(depth=6, activation="tanh")
    np.testing.assert_array_equal(a["norms"], b["norms"])
    np.testing.assert_array_equal(a["loss"], b["loss"])


def test_every_frame_of_the_static_html_version_computes():
    """The HTML book precomputes a frame for every value of the static controls (ints for an int slider)."""
    static = [c for c in deep_experiment.controls if c.name in deep_experiment.static]
    depth = next(c for c in static if c.name == "depth")
    assert all(type(v) is int for v in depth.values())
    for d in depth.values():
        r = deep_experiment.run(depth=d, initialisation="he", activation="relu")
        assert r["depth"] == int(d) and r["norms"].shape == (int(d),)
    for name in next(c for c in static if c.name == "initialisation").values():
        assert np.all(np.isfinite(deep_experiment.run(initialisation=name)["norms"]))


def test_mlp_builds_the_stated_blocks_and_refuses_unknown_names():
    net = mlp(3, "tanh", "xavier", "layernorm", n_in=2, n_out=4, width=5, rng=0)
    assert [type(m).__name__ for m in net] == ["Dense", "LayerNorm", "Tanh", "Dense", "LayerNorm", "Tanh", "Dense"]
    assert np.all(net[0].b.data == 0)  # an initialiser starts the biases at zero
    with pytest.raises(ValueError, match="activation"):
        mlp(3, "softplus", n_in=2, n_out=2)
    with pytest.raises(ValueError, match="initialisation"):
        mlp(3, "relu", "glorot", n_in=2, n_out=2)
    with pytest.raises(ValueError, match="normalisation"):
        mlp(3, "relu", "he", "groupnorm", n_in=2, n_out=2)


_LAYERS = {
    "batchnorm": lambda shape: BatchNorm1d(shape[1]),
    "layernorm": lambda shape: LayerNorm(shape[1:]),
    "groupnorm": lambda shape: GroupNorm(3, shape[1]),
}


@pytest.mark.parametrize("kind", list(_LAYERS))
@pytest.mark.parametrize("shape, index", [((4, 6), (1, 2)), ((4, 6, 3), (2, 4, 1)), ((5, 6, 2), (0, 0, 0))])
def test_the_drawn_mask_is_exactly_the_set_of_outputs_that_move_when_one_input_moves(kind, shape, index):
    rng = np.random.default_rng(0)
    x = rng.normal(size=shape)
    layer = _LAYERS[kind](shape)
    x2 = x.copy()
    x2[index] += 0.5
    moved = np.abs(layer(x2) - layer(x)) > 1e-12
    moved[index] = True  # the entry itself moves whatever the layer
    np.testing.assert_array_equal(moved, normalisation_mask(kind, shape, index, groups=3))


def test_normalisation_mask_refuses_bad_arguments():
    with pytest.raises(ValueError, match="shape"):
        normalisation_mask("layernorm", (4,))
    with pytest.raises(ValueError, match="index"):
        normalisation_mask("layernorm", (4, 3), (4, 0))
    with pytest.raises(ValueError, match="divide"):
        normalisation_mask("groupnorm", (4, 6), groups=4)
    with pytest.raises(ValueError, match="kind"):
        normalisation_mask("instancenorm", (4, 6))


def test_figures_draw_without_error():
    import matplotlib.pyplot as plt

    fig = deep_experiment.figure(activation="relu", initialisation="normal 1")  # a diverging run
    assert len(fig.axes) == 2
    plt.close(fig)
    fig = plt.figure(figsize=(7, 5))
    draw_normalisation_groups(fig)
    assert len(fig.axes) == 6
    plt.close(fig)


def test_live_widget_recomputes_when_a_control_moves():
    pytest.importorskip("ipywidgets")
    from nnbook.widgets import live

    box = live(deep_experiment)
    n = len(box.results)
    box.controls["depth"].value = 6
    assert len(box.results) == n + 1
    assert box.results[-1]["depth"] == 6 and box.results[-1]["norms"].shape == (6,)
    box.controls["normalisation"].value = "batchnorm"
    assert box.results[-1]["normalisation"] == "batchnorm"
    assert not np.array_equal(box.results[-1]["norms"], box.results[-2]["norms"])


@pytest.mark.parametrize("norms", [np.array([3.5e-33, 6.6e-33, 5e-33]), np.array([2.0, 3.0, 7.0]),
                                   np.array([0.2, 0.5, 0.9])])
def test_norm_axis_shows_at_least_two_decades_wherever_the_norms_lie(norms):
    from nnbook.experiments.deep import _norm_ylim

    lo, hi = _norm_ylim(norms)
    assert hi / lo == pytest.approx(100.0)
    assert lo < norms.min() and norms.max() < hi


def test_norm_axis_is_fitted_when_the_norms_span_more_than_two_decades():
    from nnbook.experiments.deep import _norm_ylim

    assert _norm_ylim(np.array([1e-8, 1e-3, 1.0])) is None
    assert _norm_ylim(np.zeros(3)) == pytest.approx((0.1, 10.0))  # no positive norm: around 1


def test_residual_mlp_wraps_every_hidden_block_after_the_first_and_draws_the_same_weights():
    from nnlib import Residual

    plain = mlp(5, "tanh", "default", "batchnorm", n_in=3, n_out=2, width=6, rng=0)
    res = mlp(5, "tanh", "default", "batchnorm", n_in=3, n_out=2, width=6, rng=0, residual=True)
    assert [type(m).__name__ for m in res] == ["Dense", "BatchNorm1d", "Tanh", "Residual", "Residual", "Residual",
                                               "Dense"]
    assert [type(m).__name__ for m in res[3].block] == ["Dense", "BatchNorm1d", "Tanh"]
    assert [k.split(".")[-1] for k in res.state_dict()] == [k.split(".")[-1] for k in plain.state_dict()]
    for p, q in zip(plain.parameters(), res.parameters()):
        np.testing.assert_array_equal(p.data, q.data)
    x = np.random.default_rng(1).normal(size=(4, 3))
    h = x
    for m in list(res)[:3]:
        h = m(h)
    np.testing.assert_allclose(res[3](h), h + res[3].block(h), rtol=1e-12)
    # with a single hidden block there is nothing to wrap: the first block maps n_in to the width
    assert not any(isinstance(m, Residual) for m in mlp(2, n_in=3, n_out=2, rng=0, residual=True))


def test_the_normalisation_figure_names_the_layernorm_shapes():
    import matplotlib.pyplot as plt

    fig = plt.figure()
    draw_normalisation_groups(fig, N=3, C=4, L=2, groups=2, index=(1, 1, 0))
    titles = [ax.get_title() for ax in fig.axes]
    plt.close(fig)
    assert "LayerNorm($C$)" in titles and "LayerNorm($(C, L)$)" in titles
