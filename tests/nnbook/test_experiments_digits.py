"""The digit classifier chapter's training lab, run headlessly: numbers, caching, drawing, widget."""

import numpy as np
import pytest

from nnlib import CrossEntropyLoss, optim
from nnbook.experiments import REGISTRY, digits_lab, digits_lab_experiment
from nnbook.experiments.digits import (LAB_GALLERY, LAB_MAX_EPOCHS, _lab_run, _LabRun, digit_mlp, digits_split,
                                      draw_digits_lab, gallery_mosaic)
from nnlib.metrics import confusion_matrix
from nnlib.train import fit, predict


@pytest.fixture(scope="module")
def default():
    return digits_lab()


def test_registered_with_static_controls_weight_decay_and_epochs():
    assert REGISTRY["digits_lab"] is digits_lab_experiment
    assert tuple(digits_lab_experiment.static) == ("weight_decay", "epochs")
    assert digits_lab_experiment.defaults()["hidden"] == "16-16"


def test_default_run_is_the_chapter_network_and_learns(default):
    r = default
    assert r["n_params"] == 1482 and r["hidden"] == "16-16" and r["n_train"] == 1077
    assert len(r["epoch"]) == 30 and r["epoch"][0] == 1 and r["epoch"][-1] == 30
    assert r["loss"][-1] < r["loss"][0] / 5, r["loss"]
    assert r["val_acc"] > 0.9, r["val_acc"]
    assert not r["diverged"]


def test_confusion_matrix_and_mistakes_agree_with_the_validation_predictions(default):
    r = default
    y_val = digits_split()["y_val"]
    M = r["confusion"]
    assert M.shape == (10, 10) and M.sum() == len(y_val) == 360
    np.testing.assert_array_equal(M.sum(axis=1), np.bincount(y_val, minlength=10))
    assert r["val_acc"] == pytest.approx(np.trace(M) / 360, rel=1e-15)
    assert r["val_acc"] == pytest.approx(r["val_accuracy"][-1], rel=1e-15)
    assert len(r["mistakes"]) == 360 - np.trace(M)
    k = min(LAB_GALLERY, len(r["mistakes"]))
    assert r["images"].shape == (k, 8, 8) and np.all(r["true"] != r["predicted"])
    np.testing.assert_array_equal(r["true"], y_val[r["mistakes"][:k]])
    np.testing.assert_array_equal(r["images"], digits_split()["X_val"][r["mistakes"][:k]].reshape(-1, 8, 8))


def test_the_first_epochs_of_a_cached_run_equal_a_direct_run_of_that_many_epochs():
    r = digits_lab(hidden="16", lr="0.1", batch_size="64", weight_decay="0.001", epochs=5)
    s = digits_split()
    model = digit_mlp([64, 16, 10], rng=0)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=0.001)
    h = fit(model, CrossEntropyLoss(), opt, s["X_train"], s["y_train"], 5, batch_size=64,
            X_val=s["X_val"], y_val=s["y_val"], rng=0, progress=False)
    np.testing.assert_allclose(r["loss"], h["loss"], rtol=1e-12)
    np.testing.assert_allclose(r["val_loss"], h["val_loss"], rtol=1e-12)
    np.testing.assert_allclose(r["val_accuracy"], h["val_accuracy"], rtol=1e-15)
    pred = predict(model, s["X_val"]).argmax(axis=1)
    np.testing.assert_array_equal(r["confusion"], confusion_matrix(s["y_val"], pred, num_classes=10))


def test_the_epochs_control_slices_one_cached_run(default):
    short = digits_lab(epochs=10)
    np.testing.assert_array_equal(short["loss"], default["loss"][:10])
    np.testing.assert_array_equal(short["val_accuracy"], default["val_accuracy"][:10])
    hits, misses = _lab_run.cache_info().hits, _lab_run.cache_info().misses
    for e in range(5, LAB_MAX_EPOCHS + 1, 5):
        digits_lab(epochs=e)
    assert _lab_run.cache_info().hits == hits + LAB_MAX_EPOCHS // 5
    assert _lab_run.cache_info().misses == misses  # one run, trained on as the control moved up
    run = _lab_run((16, 16), 0.03, 32, 0.0, 1077)
    assert run.epochs == LAB_MAX_EPOCHS


def test_a_run_trained_on_in_steps_equals_one_trained_at_once():
    """Training to 10 epochs, then to 25, gives bit for bit the run trained 25 epochs at once."""
    stepped = _LabRun((16,), 0.1, 64, 0.001, 300, seed=3)
    stepped.train_to(10)
    assert stepped.epochs == 10
    stepped.train_to(4)  # already there: nothing happens
    stepped.train_to(25)
    direct = _LabRun((16,), 0.1, 64, 0.001, 300, seed=3)
    direct.train_to(25)
    assert stepped.epochs == direct.epochs == 25
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        np.testing.assert_array_equal(stepped.log[key], direct.log[key], err_msg=key)
    np.testing.assert_array_equal(stepped.log["val_pred"], direct.log["val_pred"])
    for a, b in zip(stepped.model.parameters(), direct.model.parameters()):
        np.testing.assert_array_equal(a.data, b.data)


def test_divergence_is_reported_only_for_the_epochs_it_spoils(monkeypatch):
    """A run that diverges stops there; the lab flags it only when asked for epochs it never reached."""
    from nnbook.experiments import digits as lab

    run = _LabRun((16,), 0.1, 64, 0.0, 300, seed=0)
    run.train_to(3)
    for p in run.model.parameters():  # weights so large that the next forward pass overflows
        p.data *= 1e155
    run.train_to(LAB_MAX_EPOCHS)
    assert run.diverged and run.epochs == 3, (run.diverged, run.epochs)
    done = run.epochs
    run.train_to(LAB_MAX_EPOCHS)  # a diverged run is not trained on
    assert run.epochs == done
    monkeypatch.setattr(lab, "_lab_run", lambda *args, **kwargs: run)
    before = digits_lab(epochs=done)
    assert not before["diverged"] and len(before["loss"]) == done
    after = digits_lab(epochs=LAB_MAX_EPOCHS)
    assert after["diverged"] and len(after["loss"]) == done


def test_strings_from_the_drop_downs_and_numbers_give_the_same_run():
    a = digits_lab(hidden="16", lr="0.1", batch_size="64", weight_decay="0.001", epochs=5)
    b = digits_lab(hidden=(16,), lr=0.1, batch_size=64, weight_decay=1e-3, epochs=5.0)
    np.testing.assert_array_equal(a["val_loss"], b["val_loss"])


def test_weight_decay_and_training_set_size_change_the_run_in_the_expected_direction():
    small = digits_lab(n_train="100", epochs=40, hidden="64-64")
    assert small["n_train"] == 100
    assert small["accuracy"][-1] - small["val_acc"] > 0.05  # overfits: a gap between training and validation
    decayed = digits_lab(n_train="100", epochs=40, hidden="64-64", weight_decay="0.1")
    assert decayed["loss"][-1] > small["loss"][-1]            # the penalty keeps the training loss up


def test_a_too_large_learning_rate_is_reported_not_raised():
    r = digits_lab(lr="0.3", batch_size="8", hidden="128-128")
    assert len(r["epoch"]) <= LAB_MAX_EPOCHS
    if r["diverged"]:
        assert len(r["loss"]) < 30


@pytest.mark.parametrize("kwargs, pattern", [
    (dict(hidden="17-17"), "hidden must be one of"),
    (dict(lr="1"), "lr must be one of"),
    (dict(batch_size="abc"), "batch_size must be one of"),
    (dict(weight_decay="0.5"), "weight_decay must be one of"),
    (dict(n_train="50"), "n_train must be one of"),
    (dict(epochs=0), "epochs must be a whole number"),
    (dict(epochs=2.5), "epochs must be a whole number"),
])
def test_bad_settings_are_refused_with_the_options_named(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        digits_lab(**kwargs)


def test_changing_a_result_cannot_corrupt_the_cached_run():
    first = digits_lab(epochs=20)
    kept = {k: np.copy(v) for k, v in first.items() if isinstance(v, np.ndarray)}
    for key in kept:
        first[key][...] = 0
    again = digits_lab(epochs=20)
    for key, value in kept.items():
        np.testing.assert_array_equal(again[key], value, err_msg=key)


def test_gallery_mosaic_puts_each_image_in_its_slot_and_blanks_the_rest():
    images = np.arange(3 * 64, dtype=float).reshape(3, 8, 8)
    mosaic, corners = gallery_mosaic(images, shape=(2, 2), gap=4)
    assert mosaic.shape == (24, 24) and corners == [(4, 2), (4, 14), (16, 2), (16, 14)]
    for (r, c), image in zip(corners, images):
        np.testing.assert_array_equal(mosaic[r:r + 8, c:c + 8], image)
    assert np.isnan(mosaic).sum() == 24 * 24 - 3 * 64
    with pytest.raises(ValueError, match="do not fit"):
        gallery_mosaic(np.zeros((5, 8, 8)), shape=(2, 2))


def test_draw_makes_curves_confusion_matrix_and_gallery(default):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=digits_lab_experiment.figsize)
    draw_digits_lab(default, fig)
    assert len(fig.axes) == 4, len(fig.axes)  # loss, accuracy, confusion matrix, gallery
    gallery = fig.axes[3]
    shown = min(LAB_GALLERY, len(default["mistakes"]))
    mosaic = gallery.images[0].get_array()
    assert np.count_nonzero(~np.isnan(mosaic.filled(np.nan))) == 64 * shown
    captions = [t.get_text() for t in gallery.texts if t.get_text() and "→" in t.get_text()]
    assert captions == [f"{t}→{p}" for t, p in zip(default["true"], default["predicted"])]
    assert len(gallery.collections[0].get_segments()) == shown
    assert gallery.get_title().startswith(f"{shown} of {len(default['mistakes'])} mistakes")
    assert "validation accuracy" in fig._suptitle.get_text()
    plt.close(fig)


def test_a_repeated_setting_is_served_from_the_cache():
    # speed is measured by benchmarks/bench_experiments.py, not asserted here
    _lab_run.cache_clear()
    first = digits_lab()
    again = digits_lab()
    assert _lab_run.cache_info().misses == 1 and _lab_run.cache_info().hits >= 1
    np.testing.assert_array_equal(first["loss"], again["loss"])


def test_live_widget_recomputes_when_a_control_moves():
    pytest.importorskip("ipywidgets")
    import matplotlib
    matplotlib.use("Agg")
    from nnbook.widgets import live

    box = live(digits_lab_experiment)
    assert len(box.results) == 1 and box.results[-1]["epochs"] == 30
    box.controls["epochs"].value = 10
    assert len(box.results) == 2 and box.results[-1]["epochs"] == 10
    assert box.results[-1]["val_acc"] != box.results[0]["val_acc"] or \
        not np.array_equal(box.results[-1]["confusion"], box.results[0]["confusion"])
    box.controls["weight_decay"].value = "0.01"
    assert len(box.results) == 3 and box.results[-1]["weight_decay"] == 0.01
    assert not np.array_equal(box.results[-1]["val_loss"], box.results[1]["val_loss"])
    assert 'data-experiment="digits_lab"' in box._repr_mimebundle_()["text/html"]


def test_the_lab_loop_equals_nnlib_fit_with_sgd_bit_for_bit():
    """The lab's own SGD loop does what fit + SGD do: the same losses, predictions and weights, exactly."""
    run = _LabRun((32, 16), 0.1, 16, 0.01, 300, seed=2)
    run.train_to(6)
    model = digit_mlp([64, 32, 16, 10], rng=2)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=0.01)
    val_loss, val_pred = [], []

    def record(epoch, logs):
        out = predict(model, run.X_val)
        val_loss.append(float(CrossEntropyLoss()(out, run.y_val)))
        val_pred.append(out.argmax(axis=1))

    h = fit(model, CrossEntropyLoss(), opt, run.X, run.y, 6, batch_size=16, rng=np.random.default_rng(2),
            progress=False, callbacks=[record])
    np.testing.assert_array_equal(run.log["loss"], h["loss"])
    np.testing.assert_array_equal(run.log["accuracy"], h["accuracy"])
    np.testing.assert_array_equal(run.log["val_loss"], val_loss)
    np.testing.assert_array_equal(run.log["val_pred"], val_pred)
    for a, b in zip(run.model.parameters(), model.parameters()):
        np.testing.assert_array_equal(a.data, b.data)
        assert a.data.tobytes() == b.data.tobytes()  # bit for bit, the signs of zeros included
