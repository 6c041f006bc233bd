"""Work done ahead of the reader: the background thread yields to every update, and what it
computes is exactly what the update would have computed itself."""
import threading
import time

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from nnbook.experiments import REGISTRY, digits  # noqa: E402
from nnbook.experiments.ahead import AHEAD, Ahead  # noqa: E402
from nnbook.experiments.digits import _LabRun, digits_lab_ahead  # noqa: E402
from nnbook.widgets import live  # noqa: E402


@pytest.fixture(autouse=True)
def quiet_background():
    AHEAD.cancel()
    assert AHEAD.wait_idle(60)
    yield
    AHEAD.cancel()
    assert AHEAD.wait_idle(60)


def test_jobs_run_in_order_and_wait_while_an_update_runs():
    ahead, done = Ahead(), []

    def job(name, pieces=3):
        state = {"left": pieces}

        def run(should_stop):
            while state["left"]:
                if should_stop():
                    return False
                time.sleep(0.01)
                state["left"] -= 1
            done.append(name)
            return True
        return run

    with ahead.paused():
        ahead.schedule([job("a"), job("b")])
        time.sleep(0.1)
        assert done == []  # nothing runs during an update
    assert ahead.wait_idle(10) and done == ["a", "b"] and ahead.finished == 2
    ahead.schedule([job("slow", pieces=50)])
    time.sleep(0.05)
    with ahead.paused():  # stops within one piece, and is taken up again afterwards
        stopped_at = len(done)
        time.sleep(0.1)
        assert len(done) == stopped_at
    assert ahead.wait_idle(10) and done[-1] == "slow"


def test_a_failing_job_is_dropped_and_new_jobs_replace_waiting_ones():
    ahead, done = Ahead(), []

    def boom(should_stop):
        raise RuntimeError("no")

    def later(name):
        def run(should_stop):
            done.append(name)
            return True
        return run

    with ahead.paused():
        ahead.schedule([boom, later("old")])
        ahead.schedule([later("new")])
    assert ahead.wait_idle(10) and done == ["new"]
    ahead.schedule([boom, later("after")])
    assert ahead.wait_idle(10) and done == ["new", "after"]


def _state(run):
    return (run.flat.copy(), None if run.momentum is None else run.momentum.copy(),
            str(run.rng.bit_generator.state), {k: list(map(np.asarray, v)) for k, v in run.log.items()})


def _same(a, b):
    assert np.array_equal(a[0], b[0]) and (a[1] is None) == (b[1] is None)
    assert a[1] is None or np.array_equal(a[1], b[1])
    assert a[2] == b[2]
    for key in a[3]:
        assert len(a[3][key]) == len(b[3][key]) and all(np.array_equal(x, y) for x, y in zip(a[3][key], b[3][key]))


def test_a_run_stopped_part_way_through_an_epoch_is_put_back_and_goes_on_to_the_same_run():
    direct = _LabRun((32,), 0.1, 16, 0.001, 300, seed=4)
    direct.train_to(5)
    stopped = _LabRun((32,), 0.1, 16, 0.001, 300, seed=4)
    stopped.train_to(2)
    before = _state(stopped)
    calls = iter(range(10**6))
    assert stopped.train_to(5, should_stop=lambda: next(calls) == 7) is False  # the 8th step of epoch 3
    _same(_state(stopped), before)  # exactly as before the epoch it stopped in
    for k in (3, 11, 5):  # more interruptions, each part way through an epoch
        calls = iter(range(10**6))
        assert stopped.train_to(5, should_stop=lambda k=k: next(calls) == k) is False
    assert stopped.train_to(5, should_stop=lambda: False) is True
    _same(_state(stopped), _state(direct))


def test_the_lab_plans_this_setting_to_the_last_epoch_then_every_option_nearest_first():
    trained = []
    for job in digits_lab_ahead(lr="0.1", n_train="300", epochs=10):
        config, epochs = job.config, job.epochs
        trained.append((config, epochs))
    here = ((16, 16), 0.1, 32, 0.0, 300)
    assert trained[0] == (here, 40)
    assert len(trained) == 1 + 4 + 4 + 4 + 4 + 2 and len(set(trained)) == len(trained)
    moved = [sum(a != b for a, b in zip(config, here)) for config, _ in trained[1:]]
    assert moved == [1] * (len(trained) - 1) and all(epochs == 10 for _, epochs in trained[1:])
    # the options next to the current ones come first: hidden 16 and 32-32, lr 0.03 and 0.3, ...
    assert [config for config, _ in trained[1:4]] == [((16,), 0.1, 32, 0.0, 300), ((32, 32), 0.1, 32, 0.0, 300),
                                                       ((16, 16), 0.03, 32, 0.0, 300)]


def test_the_view_works_ahead_only_after_a_reader_moves_and_the_results_are_the_same():
    experiment = REGISTRY["digits_lab"]
    digits._lab_run.cache_clear()
    finished = AHEAD.finished
    box = live(experiment, n_train="300", epochs=10)
    time.sleep(0.2)
    assert AHEAD.finished == finished and not AHEAD._jobs  # building the view (or running a notebook) starts nothing
    box.controls["lr"].value = "0.1"
    assert AHEAD.wait_idle(120) and AHEAD.finished == finished + 1 + 4 * 4 + 2  # every option of every control
    misses = digits._lab_run.cache_info().misses
    box.controls["batch_size"].value = "64"  # one move away: trained in the background
    assert digits._lab_run.cache_info().misses == misses
    box.controls["epochs"].value = 40  # this setting was trained on to the last epoch
    assert digits._lab_run.cache_info().misses == misses
    warm = box.results[-2:]
    digits._lab_run.cache_clear()
    for result, params in zip(warm, [dict(batch_size="64"), dict(batch_size="64", epochs=40)]):
        cold = experiment.run(lr="0.1", n_train="300", **{"epochs": 10, **params})
        for key in ("loss", "accuracy", "val_loss", "val_accuracy", "confusion", "mistakes"):
            assert np.array_equal(result[key], cold[key]), key


def test_an_update_does_not_wait_for_the_work_ahead():
    """The reader's update runs while heavy background training is scheduled, and gets the right answer."""
    experiment = REGISTRY["digits_lab"]
    digits._lab_run.cache_clear()
    box = live(experiment, hidden="128-128", batch_size="8", n_train="300", epochs=5)
    box.controls["lr"].value = "0.01"  # schedules ~11 runs of the largest network
    time.sleep(0.05)
    assert AHEAD._jobs  # the background is busy with them when the reader moves again
    box.controls["weight_decay"].value = "0.001"  # one move away: may be half trained in the background
    result = box.results[-1]
    digits._lab_run.cache_clear()
    cold = experiment.run(hidden="128-128", batch_size="8", n_train="300", epochs=5, lr="0.01", weight_decay="0.001")
    for key in ("loss", "val_loss", "confusion"):
        assert np.array_equal(result[key], cold[key]), key


def test_the_deep_network_plans_every_setting_one_control_reaches_nearest_first():
    from nnbook.experiments.deep import deep_ahead

    planned = [job.params for job in deep_ahead()]
    assert len(planned) == 6 + 2 + 4 + 2 and len({tuple(sorted(p.items())) for p in planned}) == len(planned)
    assert planned[:3] == [dict(depth=6, activation="sigmoid", initialisation="default", normalisation="none"),
                           dict(depth=14, activation="sigmoid", initialisation="default", normalisation="none"),
                           dict(depth=10, activation="tanh", initialisation="default", normalisation="none")]


def test_deep_work_ahead_stops_between_epochs_and_keeps_exactly_what_compute_returns(monkeypatch):
    from nnbook.experiments import deep

    deep._computed.clear()
    job = deep.deep_ahead(depth=6)[0]  # depth 2
    calls = iter(range(100))
    assert job(lambda: next(calls) == 5) is False and not deep._computed  # stopped in the second epoch: nothing kept
    assert job(lambda: False) is True and len(deep._computed) == 1
    kept = deep.deep_gradients(depth=2)
    deep._computed.clear()
    fresh = deep.deep_gradients(depth=2)
    for key in ("norms", "loss", "accuracy"):
        assert np.array_equal(kept[key], fresh[key])
    kept["norms"][:] = 0  # a caller that changes its result does not change what is kept
    assert np.array_equal(deep.deep_gradients(depth=2)["norms"], fresh["norms"])
    with pytest.raises((TypeError, ValueError), match="depth"):
        deep.deep_gradients(depth=[3])


def test_the_deep_view_serves_a_move_from_the_work_done_ahead(monkeypatch):
    from nnbook.experiments import deep

    deep._computed.clear()
    box = live(REGISTRY["deep"])
    box.controls["activation"].value = "tanh"
    assert AHEAD.wait_idle(120)
    ran = []
    original = deep._deep_run
    def counted(*args, **kwargs):  # what the reader's own updates compute (the background's work is not counted)
        if threading.current_thread() is threading.main_thread():
            ran.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(deep, "_deep_run", counted)
    box.controls["initialisation"].value = "he"  # one control away: computed in the background
    assert AHEAD.wait_idle(120)
    box.controls["depth"].value = 14  # one control away from there
    assert ran == [] and box.results[-2]["initialisation"] == "he" and box.results[-1]["depth"] == 14


def test_an_update_waits_at_most_max_wait_for_a_job_that_never_checks(monkeypatch):
    from nnbook.experiments import ahead as module

    monkeypatch.setattr(module, "MAX_WAIT", 0.2)
    ahead, release = Ahead(), []

    def stubborn(should_stop):  # never asks should_stop
        while not release:
            time.sleep(0.01)
        return True

    ahead.schedule([stubborn])
    time.sleep(0.05)
    with ahead.paused():
        still_running = ahead._running  # the update went ahead although the job had not stopped
    release.append(True)
    assert still_running and ahead.wait_idle(10) and ahead.finished == 1


def test_in_a_notebook_the_work_waits_while_a_cell_runs():
    """Registered on IPython's cell events, the jobs stop when a cell starts and go on after it."""
    ahead, done = Ahead(), []

    class Events:
        def __init__(self):
            self.callbacks = {}

        def register(self, name, callback):
            self.callbacks.setdefault(name, []).append(callback)

    class Shell:
        events = Events()

    shell = Shell()
    ahead.watch_cells(shell)
    ahead.watch_cells(shell)  # once per shell
    assert {k: len(v) for k, v in shell.events.callbacks.items()} == {"pre_run_cell": 1, "post_run_cell": 1}
    shell.events.callbacks["pre_run_cell"][0](None)
    assert ahead.should_stop()
    ahead.schedule([lambda should_stop: done.append("job") or True])
    time.sleep(0.1)
    assert done == []  # the cell has the kernel
    shell.events.callbacks["post_run_cell"][0](None)
    assert ahead.wait_idle(10) and done == ["job"] and not ahead.should_stop()
