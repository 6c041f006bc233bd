"""The gradient-descent chapter's experiment: an optimiser race on 2-D surfaces."""

import numpy as np
import pytest

from nnlib import optim
from nnbook.experiments import REGISTRY, optimizer_race, race_experiment
from nnbook.experiments.gradient_descent import OPTIMIZERS, make_optimizer
from nnbook.surfaces import SURFACES, optimize_path


def test_the_race_is_registered_with_surface_and_learning_rate_as_static_controls():
    assert REGISTRY["optimizer_race"] is race_experiment
    assert tuple(race_experiment.static) == ("surface", "lr")
    names = {c.name for c in race_experiment.controls}
    assert set(race_experiment.static) <= names
    assert race_experiment.figsize[0] <= 7.5


def test_default_race_runs_sgd_momentum_and_adam_from_the_bowls_start():
    r = optimizer_race()
    assert r["surface"] == "bowl" and [run["name"] for run in r["runs"]] == ["SGD", "momentum", "Adam"]
    for run in r["runs"]:
        assert run["path"].shape == (201, 2) and run["loss"].shape == (201,)
        np.testing.assert_array_equal(run["path"][0], SURFACES["bowl"].start)
    finals = {run["name"]: run["final"] for run in r["runs"]}
    # momentum beats plain gradient descent on the ill-conditioned bowl at this rate
    assert finals["momentum"] < 1e-6 < finals["SGD"] < 1.0
    assert r["Z"].shape == (101, 101) and r["x"][0] == -3.0


def test_sgd_path_in_the_race_is_plain_gradient_descent():
    r = optimizer_race(surface="rosenbrock", optimizer1="SGD", optimizer2="none", optimizer3="none",
                       lr=0.01, steps=50)
    (run,) = r["runs"]
    theta = np.array(SURFACES["rosenbrock"].start)
    for t in range(50):
        theta = theta - 0.01 * SURFACES["rosenbrock"].gradient(theta)
    np.testing.assert_allclose(run["path"][-1], theta, rtol=1e-13)
    assert run["final"] == pytest.approx(SURFACES["rosenbrock"].value(theta), rel=1e-12)


def test_ema_momentum_at_rate_alpha_equals_momentum_at_alpha_times_one_minus_beta():
    a = optimizer_race(optimizer1="momentum (EMA)", optimizer2="none", optimizer3="none", lr=0.1, momentum=0.8)
    b = optimizer_race(optimizer1="momentum", optimizer2="none", optimizer3="none", lr=0.1 * (1 - 0.8),
                       momentum=0.8)
    np.testing.assert_allclose(a["runs"][0]["path"], b["runs"][0]["path"], rtol=1e-12, atol=1e-14)


def test_sgd_diverges_above_two_over_L_on_the_bowl_and_is_reported_as_inf():
    r = optimizer_race(optimizer1="SGD", optimizer2="momentum", optimizer3="none", lr=0.11, steps=500)
    sgd, mom = r["runs"]
    assert sgd["diverged"] and sgd["final"] == float("inf") and len(sgd["path"]) < 501
    assert not mom["diverged"] and mom["final"] < 1e-6


def test_on_rosenbrock_adam_survives_a_rate_at_which_sgd_diverges():
    r = optimizer_race(surface="rosenbrock", lr=0.05)
    finals = {run["name"]: run["final"] for run in r["runs"]}
    assert finals["SGD"] == float("inf") and finals["momentum"] == float("inf")
    assert finals["Adam"] < 1e-2


@pytest.mark.parametrize("lr", [0.03, 0.1])
def test_on_rosenbrock_rmsprop_and_adam_do_not_diverge_where_sgd_does(lr):
    r = optimizer_race(surface="rosenbrock", optimizer1="SGD", optimizer2="RMSprop", optimizer3="Adam", lr=lr)
    finals = {run["name"]: run["final"] for run in r["runs"]}
    assert finals["SGD"] == float("inf")
    assert finals["RMSprop"] < 0.1 and finals["Adam"] < 0.1, finals


def test_on_the_saddle_every_default_optimizer_escapes_to_a_minimum():
    r = optimizer_race(surface="saddle")
    assert r["saddle_points"] == ((0.0, 0.0),)
    for run in r["runs"]:
        assert run["final"] < 1e-6 and abs(abs(run["path"][-1][1]) - 1.0) < 1e-3


def test_every_optimizer_choice_runs_and_duplicates_run_once():
    for name in OPTIMIZERS:
        r = optimizer_race(optimizer1=name, optimizer2=name, optimizer3="none", steps=20)
        assert [run["name"] for run in r["runs"]] == [name]
        assert np.isfinite(r["runs"][0]["final"])
    assert optimizer_race(optimizer1="none", optimizer2="none", optimizer3="none")["runs"] == []
    # Nesterov with momentum 0 falls back to plain SGD
    r = optimizer_race(optimizer1="Nesterov", optimizer2="SGD", optimizer3="none", momentum=0.0, steps=30)
    np.testing.assert_allclose(r["runs"][0]["path"], r["runs"][1]["path"], rtol=1e-9)


def test_make_optimizer_builds_the_nnlib_class_of_each_name():
    from nnlib import Parameter
    p = [Parameter(np.zeros(2))]
    assert isinstance(make_optimizer("Adam", 0.1)(p), optim.Adam)
    assert isinstance(make_optimizer("momentum (EMA)", 0.1, 0.9)(p), optim.SGDMomentumEMA)
    assert make_optimizer("Nesterov", 0.1, 0.9)(p).param_groups[0]["nesterov"]
    with pytest.raises(ValueError, match="optimizer must be one of"):
        make_optimizer("LBFGS", 0.1)


def test_bad_choices_are_refused_with_the_options_named():
    with pytest.raises(ValueError, match="surface must be one of"):
        optimizer_race(surface="himmelblau")
    with pytest.raises(ValueError, match="optimizer must be one of"):
        optimizer_race(optimizer1="adam")
    with pytest.raises(TypeError, match="no control"):
        race_experiment.run(beta2=0.99)


def test_paths_agree_with_optimize_path_on_the_same_surface():
    r = optimizer_race(surface="saddle", optimizer1="RMSprop", optimizer2="none", optimizer3="none", lr=0.02)
    direct = optimize_path(SURFACES["saddle"], lambda ps: optim.RMSprop(ps, lr=0.02), steps=200)
    np.testing.assert_array_equal(r["runs"][0]["path"], direct["path"])


def test_draw_makes_two_panels():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    for surface in SURFACES:
        fig = race_experiment.figure(surface=surface, lr=0.05)
        assert len(fig.axes) == 2
        plt.close(fig)


def test_live_widget_recomputes_when_controls_move():
    pytest.importorskip("ipywidgets")
    import matplotlib
    matplotlib.use("Agg")
    from nnbook.widgets import live

    box = live(race_experiment)
    assert len(box.results) == 1 and box.results[-1]["surface"] == "bowl"
    box.controls["surface"].value = "rosenbrock"
    assert len(box.results) == 2 and box.results[-1]["surface"] == "rosenbrock"
    box.controls["lr"].value = 0.05
    assert len(box.results) == 3 and box.results[-1]["lr"] == pytest.approx(0.05)
    assert box.results[-1]["runs"][0]["diverged"]          # SGD at 0.05 on Rosenbrock
    box.controls["optimizer1"].value = "Adagrad"
    assert box.results[-1]["runs"][0]["name"] == "Adagrad"


def test_live_view_follows_surfaces_and_optimiser_choices_like_a_fresh_drawing():
    """Sliders move the lines; a new surface or set of optimisers (even none at all) is redrawn in place."""
    import matplotlib
    matplotlib.use("Agg")
    from nnbook.experiments.core import FigureView

    changes = [dict(surface="saddle"), dict(optimizer1="none", optimizer2="none", optimizer3="none"),
               dict(optimizer1="Adagrad"), dict(lr=0.15, steps=500), dict(surface="rosenbrock", optimizer2="SGD")]
    params = race_experiment.defaults()
    view = FigureView(race_experiment)
    view.show(race_experiment.run())
    for change in changes:
        params.update(change)
        result = race_experiment.run(**params)
        view.show(result)
        assert view.pixels_unlike_fresh() == 0, change
    assert (view.fresh_draws, view.updates) == (1, len(changes))
