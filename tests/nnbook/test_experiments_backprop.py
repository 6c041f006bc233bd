"""The backpropagation chapter's experiments, run headlessly: numbers, drawings, widgets."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from nnbook.experiments import REGISTRY  # noqa: E402
from nnbook.experiments.backprop import (EXAMPLES, STEP_NET, INITS, backprop_steps,  # noqa: E402
                                        backprop_steps_experiment, init_000, train_xor, xor_training,
                                        xor_training_experiment)

FORWARD_ORDER = ["zh1", "ah1", "zh2", "ah2", "zout", "aout", "E"]


def test_both_experiments_are_registered_with_their_static_controls():
    assert REGISTRY["backprop_steps"] is backprop_steps_experiment
    assert REGISTRY["xor_training"] is xor_training_experiment
    assert tuple(backprop_steps_experiment.static) == ("step",)
    assert tuple(xor_training_experiment.static) == ("steps", "init")


def test_step_zero_shows_only_the_inputs_and_the_forward_pass_reveals_values_in_order():
    r = backprop_steps(0)
    assert r["shown_values"] == {"x1", "x2"} and not r["shown_grads"] and r["phase"] == "inputs"
    for k, name in enumerate(FORWARD_ORDER, start=1):
        r = backprop_steps(k)
        assert r["phase"] == "forward" and r["current"] == [name]
        assert r["shown_values"] == {"x1", "x2", *FORWARD_ORDER[:k]} and not r["shown_grads"]


def test_the_backward_pass_starts_at_the_loss_and_ends_with_every_gradient_known():
    r = backprop_steps(8)
    assert r["phase"] == "backward" and r["shown_grads"] == {"E"} and r["grads"]["E"] == 1.0
    seen = set()
    for step in range(8, 17):
        r = backprop_steps(step)
        assert seen <= r["shown_grads"] | r["grads_shown_for"]
        seen = r["shown_grads"] | r["grads_shown_for"]
    assert r["n_steps"] == 16 and r["grads_shown_for"] == {"W1", "b1", "W2", "b2"}
    assert r["shown_grads"] == set(r["grads"]) - {"x1", "x2"}
    assert backprop_steps(99)["step"] == 16


@pytest.mark.parametrize("example", list(EXAMPLES))
def test_every_value_and_gradient_of_the_stepped_network_matches_torch(example):
    torch = pytest.importorskip("torch")
    (x1, x2), t = EXAMPLES[example]
    r = backprop_steps(16, example)
    W1, b1, W2, b2 = (torch.tensor(STEP_NET[k], dtype=torch.float64, requires_grad=True) for k in ("W1", "b1", "W2", "b2"))
    x = torch.tensor([[x1, x2]], dtype=torch.float64, requires_grad=True)
    z = x @ W1 + b1
    a = torch.sigmoid(z)
    zo = a @ W2 + b2
    ao = torch.sigmoid(zo)
    for node in (z, a, zo, ao):
        node.retain_grad()
    E = 0.5 * ((ao - t) ** 2).sum()
    E.backward()
    assert r["values"]["E"] == pytest.approx(E.item(), rel=1e-13)
    assert r["values"]["zh2"] == pytest.approx(z[0, 1].item()) and r["values"]["ah1"] == pytest.approx(a[0, 0].item())
    expected = {"aout": ao.grad[0, 0], "zout": zo.grad[0, 0], "ah1": a.grad[0, 0], "ah2": a.grad[0, 1],
                "zh1": z.grad[0, 0], "zh2": z.grad[0, 1], "x1": x.grad[0, 0], "x2": x.grad[0, 1]}
    for name, value in expected.items():
        assert r["grads"][name] == pytest.approx(value.item(), rel=1e-12, abs=1e-15), name
    for key, tensor in (("W1", W1), ("b1", b1), ("W2", W2), ("b2", b2)):
        np.testing.assert_allclose(r["weight_grads"][key], tensor.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_a_zero_input_gives_its_weights_zero_gradient():
    r = backprop_steps(16, "x = (1, 0), t = 1")
    np.testing.assert_array_equal(r["weight_grads"]["W1"][1], 0.0)
    assert np.all(r["weight_grads"]["W1"][0] != 0)


def test_xor_training_defaults_solve_xor_and_ascent_ruins_it():
    r = xor_training()
    assert r["solved"] and r["mse"] < 0.01 and r["out"].shape == (61, 61) and len(r["loss"]) == 1000
    bad = xor_training(steps=2000, update="ascent")
    assert not bad["solved"] and bad["mse"] > 0.45
    slow = xor_training(steps=1000, lr=0.5)
    assert slow["mse"] > r["mse"]


def test_xor_training_at_step_zero_is_the_initial_network_and_later_steps_follow_train_xor():
    r0 = xor_training(steps=0)
    start = init_000(np.random.default_rng(0))
    X = r0["points"]
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    np.testing.assert_allclose(r0["pred"], sig(sig(X @ start[0] + start[1]) @ start[2] + start[3])[:, 0], rtol=1e-12)
    assert len(r0["loss"]) == 0
    r = xor_training(steps=300, lr=1.5, init=INITS[1])
    g = np.random.default_rng(0)
    normal = (g.normal(size=(2, 2)), g.normal(size=2), g.normal(size=(2, 1)), g.normal(size=1))
    direct = train_xor(*normal, 1.5, 300)
    np.testing.assert_allclose(r["loss"], direct["loss"], rtol=1e-12)
    assert r["mse"] == pytest.approx(direct["final_mse"], rel=1e-10)


def test_xor_training_refuses_steps_that_were_not_recorded_and_unknown_choices():
    with pytest.raises(ValueError, match="multiple of 100"):
        xor_training(steps=150)
    with pytest.raises(ValueError, match="init"):
        xor_training(init="zeros")
    with pytest.raises(ValueError, match="example"):
        backprop_steps(3, example="x = (2, 2)")


def test_compute_is_deterministic():
    # speed is measured by benchmarks/bench_experiments.py, not asserted here
    a, b = xor_training(steps=700, lr=3.0), xor_training(steps=700, lr=3.0)
    np.testing.assert_array_equal(a["out"], b["out"])
    for experiment in (backprop_steps_experiment, xor_training_experiment):
        first, second = experiment.run(), experiment.run()
        assert first.keys() == second.keys()


def test_figures_draw_without_error():
    import matplotlib.pyplot as plt

    for step in (0, 7, 12, 16):
        fig = backprop_steps_experiment.figure(step=step, example="x = (0, 1), t = 1")
        fig.canvas.draw()  # renders the mathtext of every label
        plt.close(fig)
    fig = xor_training_experiment.figure(steps=0)
    fig.canvas.draw()
    assert len(fig.axes) == 3  # map, colour bar, loss curve
    plt.close(fig)



def test_stepping_forward_and_back_updates_the_graph_in_place_like_a_fresh_drawing():
    from nnbook.experiments.core import FigureView

    view = FigureView(backprop_steps_experiment)
    for step in [*range(17), 9, 0]:  # every step, then back: revealed numbers hide again
        result = backprop_steps(step, "x = (0, 1), t = 1")
        view.show(result)
        assert view.pixels_unlike_fresh() == 0, f"step {step}"
    assert (view.fresh_draws, view.updates) == (1, 18)


def test_xor_figure_updates_from_zero_steps_in_place_and_redraws_for_another_grid():
    from nnbook.experiments.core import FigureView

    view = FigureView(xor_training_experiment)
    view.show(xor_training(steps=0))  # no loss yet: the curve is drawn empty
    after = xor_training(steps=300)
    view.show(after)
    assert view.updates == 1 and view.pixels_unlike_fresh() == 0
    view.show(xor_training(steps=300, n=31))
    assert view.fresh_draws == 2, "a grid of another size needs an image of another shape"

def test_live_widgets_recompute_when_a_control_moves():
    pytest.importorskip("ipywidgets")
    from nnbook.widgets import live

    box = live(backprop_steps_experiment)
    n = len(box.results)
    box.controls["step"].value = 9
    assert len(box.results) == n + 1 and box.results[-1]["step"] == 9
    assert box.results[-1]["shown_grads"] != box.results[-2]["shown_grads"]

    box = live(xor_training_experiment)
    n = len(box.results)
    box.controls["steps"].value = 200
    assert len(box.results) == n + 1 and box.results[-1]["steps"] == 200
    assert box.results[-1]["mse"] != box.results[-2]["mse"]


def test_integer_controls_accept_the_integral_floats_the_static_book_sends():
    assert backprop_steps(3.0)["step"] == 3
    assert xor_training(steps=400.0)["steps"] == 400
    for experiment in (backprop_steps_experiment, xor_training_experiment):
        for control in experiment.controls:
            if control.name in experiment.static and control.options is None:
                for value in control.values(25):
                    experiment.run(**{control.name: value})
    with pytest.raises(ValueError, match="whole number"):
        backprop_steps(2.5)
