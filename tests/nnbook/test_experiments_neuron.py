"""The neuron chapter's experiment, the Experiment/Control types and live()."""
import numpy as np
import pytest

from nnbook.experiments import REGISTRY, Control, Experiment, neuron_experiment, neuron_response
from nnbook.experiments.neuron import decision_line


def test_output_is_sigmoid_of_weighted_sum_on_the_grid():
    r = neuron_response(w1=2.0, w2=-1.0, b=0.5, n=5, extent=(-1, 1))
    X1, X2 = np.meshgrid(r["x1"], r["x2"])
    expected = 1 / (1 + np.exp(-(2.0 * X1 - 1.0 * X2 + 0.5)))
    np.testing.assert_allclose(r["a"], expected, rtol=1e-12)


def test_decision_line_points_have_zero_preactivation():
    x1 = np.linspace(-2, 2, 7)
    xs, ys = decision_line(1.5, -0.5, 0.25, x1)
    np.testing.assert_allclose(1.5 * xs - 0.5 * ys + 0.25, 0, atol=1e-12)
    vx, vy = decision_line(2.0, 0.0, 1.0, x1)       # vertical line x1 = -b/w1
    np.testing.assert_allclose(vx, -0.5)
    assert decision_line(0.0, 0.0, 1.0, x1) is None


def test_distance_of_the_line_from_the_origin_is_abs_b_over_norm_w():
    r = neuron_response(w1=3.0, w2=4.0, b=-2.0, n=3)
    assert r["distance"] == pytest.approx(2.0 / 5.0, rel=1e-12)
    x1, x2 = r["line"]
    d = np.abs(3.0 * 0 + 4.0 * 0 - 2.0) / np.hypot(3.0, 4.0)
    assert d == pytest.approx(r["distance"])


@pytest.mark.parametrize("gate, w1, w2, b", [("AND", 1, 1, -1.5), ("OR", 1, 1, -0.5)])
def test_and_and_or_are_separable(gate, w1, w2, b):
    assert neuron_response(w1, w2, b, gate=gate, n=3)["correct"] == 4


def test_no_slider_setting_solves_xor():
    grid = np.arange(-3, 3.01, 0.5)
    best = max(neuron_response(a, c, d, gate="XOR", n=2)["correct"] for a in grid for c in grid for d in grid)
    assert best == 3


def test_bad_choices_are_refused_with_the_options_named():
    with pytest.raises(ValueError, match="activation must be one of"):
        neuron_response(activation="softplus")
    with pytest.raises(ValueError, match="gate must be one of"):
        neuron_response(gate="NAND")
    with pytest.raises(TypeError, match="no control"):
        neuron_experiment.run(w3=1.0)


def test_control_checks_its_range_and_lists_its_values():
    c = Control("b", "bias", 0.0, -1.0, 1.0, 0.5)
    assert c.values() == [-1.0, -0.5, 0.0, 0.5, 1.0]
    assert len(Control("b", "bias", 0.0, -3.0, 3.0, 0.01).values(25)) == 25
    steps = Control("n", "steps", 4, 0, 16, 2)
    assert steps.is_integer and all(type(v) is int for v in steps.values(5))
    with pytest.raises(ValueError, match="outside"):
        Control("b", "bias", 5.0, -1.0, 1.0, 0.5)
    with pytest.raises(ValueError, match="not one of"):
        Control("g", "gate", "NAND", options=("AND", "OR"))


def test_every_registered_experiment_names_real_static_controls_and_draws():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    for name, exp in REGISTRY.items():
        assert isinstance(exp, Experiment) and exp.name == name
        names = {c.name for c in exp.controls}
        assert exp.static and set(exp.static) <= names, f"{name}: static controls {exp.static} not in {names}"
        fig = exp.figure()
        assert fig.axes, f"{name}: draw() drew nothing"
        plt.close(fig)


def test_live_widget_redraws_when_a_control_moves():
    pytest.importorskip("ipywidgets")
    import matplotlib
    matplotlib.use("Agg")
    from nnbook.widgets import live

    box = live(neuron_experiment)
    assert len(box.results) == 1 and box.results[-1]["gate"] == "AND"
    box.controls["gate"].value = "XOR"
    assert len(box.results) == 2 and box.results[-1]["gate"] == "XOR"
    box.controls["b"].value = 0.5
    assert box.results[-1]["distance"] == pytest.approx(0.5 / np.sqrt(2))
    bundle = box._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == box.widget.model_id
    assert 'data-experiment="neuron"' in bundle["text/html"]


def test_live_refuses_unknown_initial_values():
    pytest.importorskip("ipywidgets")
    from nnbook.widgets import live

    with pytest.raises(TypeError, match="no control"):
        live(neuron_experiment, w3=2.0)


@pytest.mark.parametrize("activation, low, high", [("sigmoid", 0.0, 1.0), ("tanh", -1.0, 1.0)])
def test_heat_map_colours_span_the_activations_range_so_white_is_the_decision_line(activation, low, high):
    """Whatever the weights, the colour scale is the activation's range: its middle is f(0), the line's value."""
    import matplotlib
    matplotlib.use("Agg")
    from nnbook.experiments.core import FigureView

    view = FigureView(neuron_experiment)
    for b in (-3.0, 0.0, 2.5):
        view.show(neuron_experiment.run(b=b, activation=activation))
        image = view.figure.axes[0].images[0]
        assert image.get_clim() == (low, high)
        f0 = 0.5 if activation == "sigmoid" else 0.0
        assert (low + high) / 2 == f0


def test_relu_colours_run_from_zero_to_the_largest_output():
    import matplotlib
    matplotlib.use("Agg")
    from nnbook.experiments.core import FigureView

    view = FigureView(neuron_experiment)
    view.show(neuron_experiment.run(activation="relu", w1=3.0, w2=3.0, b=3.0))
    r = neuron_experiment.run(activation="relu", w1=3.0, w2=3.0, b=3.0)
    assert view.figure.axes[0].images[0].get_clim() == (0.0, pytest.approx(r["a"].max()))
    view.show(neuron_experiment.run(activation="relu", w1=-3.0, w2=-3.0, b=-3.0))  # all outputs 0
    assert view.figure.axes[0].images[0].get_clim() == (0.0, 1.0)


def test_a_point_on_the_line_answers_zero_as_the_chapter_states():
    r = neuron_response(1.0, 1.0, -1.0, gate="AND", n=3)     # (1, 0) and (0, 1) lie on the line x1 + x2 = 1
    np.testing.assert_array_equal(r["predicted"], [0, 0, 0, 1])
    assert r["correct"] == 4


def test_both_classes_count_a_line_with_every_point_on_the_high_side_fails():
    r = neuron_response(0.0, 0.0, 1.0, gate="AND", n=3)      # z = 1 everywhere: every point answers 1
    assert r["correct"] == 1                                  # only the one black point is right
