"""nnlib.train: fit learns, records a history, calls callbacks, stops clearly on divergence."""
import numpy as np
import pytest

from nnlib import BCEWithLogitsLoss, CrossEntropyLoss, Dense, Module, MSELoss, ReLU, Sequential, Tanh
from nnlib.data import spirals, xor
from nnlib.optim import SGD, Adam, StepLR
from nnlib.train import History, StopTraining, TrainingDiverged, evaluate, fit, predict


def _xor_model(dtype=np.float64):
    return Sequential(Dense(2, 8, rng=0, dtype=dtype), Tanh(), Dense(8, 2, rng=1, dtype=dtype))


def _fit_xor(**kwargs):
    X, y = xor()
    model = _xor_model()
    opts = dict(epochs=200, batch_size=4, rng=0, progress=False)
    opts.update(kwargs)
    return model, fit(model, CrossEntropyLoss(), Adam(model.parameters(), lr=0.05), X, y, **opts)


def test_fit_learns_xor():
    model, history = _fit_xor()
    X, y = xor()
    assert history["accuracy"][-1] == 1.0
    assert history["loss"][-1] < 0.01 < history["loss"][0], history
    np.testing.assert_array_equal(predict(model, X).argmax(axis=1), y)


def test_fit_learns_spirals_to_high_validation_accuracy():
    X, y = spirals(50, classes=3, noise=0.1, rng=0)
    X_val, y_val = spirals(30, classes=3, noise=0.1, rng=1)
    model = Sequential(Dense(2, 32, rng=0), ReLU(), Dense(32, 32, rng=1), ReLU(), Dense(32, 3, rng=2))
    history = fit(model, CrossEntropyLoss(), Adam(model.parameters(), lr=0.01), X, y, epochs=150,
                  X_val=X_val, y_val=y_val, rng=0, progress=False)
    assert history["accuracy"][-1] >= 0.95, history
    assert history["val_accuracy"][-1] >= 0.9, history


def test_history_has_one_entry_per_epoch_for_every_key():
    X, y = xor()
    model = _xor_model()
    history = fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), X, y, epochs=7,
                  X_val=X, y_val=y, progress=False, rng=0)
    assert isinstance(history, History) and history.epochs == 7 and not history.stopped
    assert set(history) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr"}
    assert all(len(v) == 7 for v in history.values()), {k: len(v) for k, v in history.items()}


def test_regression_loss_records_no_accuracy():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((20, 3))
    y = X @ np.array([[1.0], [-2.0], [0.5]])
    model = Dense(3, 1, rng=0)
    history = fit(model, MSELoss(), SGD(model.parameters(), lr=0.1), X, y, epochs=30, batch_size=5,
                  rng=0, progress=False)
    assert set(history) == {"loss", "lr"}
    assert history["loss"][-1] < 1e-3 * history["loss"][0]


def test_bce_with_logits_records_accuracy_of_logit_sign():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 2))
    y = (X[:, :1] + X[:, 1:] > 0).astype(np.float64)  # shape (40, 1), like the logits
    model = Dense(2, 1, rng=0)
    history = fit(model, BCEWithLogitsLoss(), Adam(model.parameters(), lr=0.1), X, y, epochs=50,
                  batch_size=8, rng=0, progress=False)
    assert history["accuracy"][-1] >= 0.95


def test_epoch_loss_is_the_example_weighted_mean_of_batch_losses_before_each_step():
    X, y = xor()
    model = _xor_model()
    before = evaluate(model, CrossEntropyLoss(), X, y)["loss"]
    # one batch holding everything: the recorded loss is the loss before the update
    history = fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), X, y, epochs=1,
                  batch_size=4, rng=0, progress=False)
    assert history["loss"][0] == pytest.approx(before, rel=1e-12)


def test_callbacks_get_every_epoch_and_its_logs():
    calls = []
    _, history = _fit_xor(epochs=5, callbacks=[lambda epoch, logs: calls.append((epoch, logs))])
    assert [e for e, _ in calls] == [0, 1, 2, 3, 4]
    assert [logs["loss"] for _, logs in calls] == history["loss"]
    assert [logs["accuracy"] for _, logs in calls] == history["accuracy"]


def test_a_callback_can_stop_training_early():
    def stop_at_3(epoch, logs):
        if epoch == 2:
            raise StopTraining("enough")

    _, history = _fit_xor(epochs=10, callbacks=[stop_at_3])
    assert history.epochs == 3 and history.stopped and history.stop_reason == "enough"


def test_progress_off_prints_nothing(capfd):
    _fit_xor(epochs=3, progress=False)
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_progress_on_shows_a_bar_on_stderr(capsys):
    pytest.importorskip("tqdm")
    _fit_xor(epochs=3, progress=True)
    assert "3/3" in capsys.readouterr().err


def _diverging_regression():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((16, 3))
    y = X.sum(axis=1, keepdims=True)
    model = Dense(3, 1, rng=0)
    return model, X, y


def test_divergence_with_a_huge_learning_rate_raises_with_where_and_what_to_do():
    model, X, y = _diverging_regression()
    with pytest.raises(TrainingDiverged, match=r"epoch \d+ of 100, batch \d of 4.*lower it") as info:
        fit(model, MSELoss(), SGD(model.parameters(), lr=1e3), X, y, epochs=100, batch_size=4,
            rng=0, progress=False)
    assert "learning rate (lr=1000)" in str(info.value)
    assert isinstance(info.value, FloatingPointError) and isinstance(info.value, RuntimeError)
    assert info.value.epoch >= 1 and 1 <= info.value.batch <= 4
    assert not np.isfinite(info.value.loss)


def test_divergence_with_on_nonfinite_stop_returns_the_completed_epochs():
    model, X, y = _diverging_regression()
    history = fit(model, MSELoss(), SGD(model.parameters(), lr=1e3), X, y, epochs=100, batch_size=4,
                  rng=0, progress=False, on_nonfinite="stop")
    assert history.stopped and "lower it" in history.stop_reason
    assert history.epochs < 100
    assert all(np.isfinite(history["loss"]))


def test_non_finite_model_outputs_count_as_divergence_for_a_classifier():
    X, y = xor()
    model = _xor_model()
    model[2].W.data[0, 0] = np.inf  # as if an earlier step had overflowed
    with pytest.raises(TrainingDiverged, match="epoch 1 of 5, batch 1 of 2"):
        fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), X, y, epochs=5, batch_size=2,
            rng=0, progress=False)


class _NaNWhenEvaluated(Module):
    def __init__(self):
        super().__init__()
        self.layer = Dense(2, 2, rng=0)

    def forward(self, x):
        out = self.layer(x)
        return out if self.training else out * np.nan

    def backward(self, grad_out):
        return self.layer.backward(grad_out)


def test_a_non_finite_validation_loss_is_reported_as_divergence():
    X, y = xor()
    model = _NaNWhenEvaluated()
    with pytest.raises(TrainingDiverged, match="epoch 1 of 3, the validation set") as info:
        fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), X, y, epochs=3, X_val=X, y_val=y,
            rng=0, progress=False)
    assert info.value.batch is None


def test_same_seed_gives_an_identical_history_and_another_seed_does_not():
    _, a = _fit_xor(epochs=20, batch_size=2)
    _, b = _fit_xor(epochs=20, batch_size=2)
    _, c = _fit_xor(epochs=20, batch_size=2, rng=1)
    assert a == b
    assert a["loss"] != c["loss"]


def test_scheduler_steps_once_per_epoch():
    X, y = xor()
    model = _xor_model()
    opt = SGD(model.parameters(), lr=0.4)
    history = fit(model, CrossEntropyLoss(), opt, X, y, epochs=3, scheduler=StepLR(opt, step_size=1, gamma=0.5),
                  progress=False, rng=0)
    assert history["lr"] == [0.4, 0.2, 0.1]


class _ModeSpy(Module):
    """A Dense layer that records the training flag at every forward."""

    def __init__(self):
        super().__init__()
        self.layer = Dense(2, 2, rng=0)
        self.modes = []

    def forward(self, x):
        self.modes.append(self.training)
        return self.layer(x)

    def backward(self, grad_out):
        assert self.training, "backward during evaluation"
        return self.layer.backward(grad_out)


def test_model_is_in_train_mode_for_steps_and_eval_mode_for_validation():
    X, y = xor()
    spy = _ModeSpy()
    fit(spy, CrossEntropyLoss(), SGD(spy.parameters(), lr=0.1), X, y, epochs=2, batch_size=2,
        X_val=X, y_val=y, progress=False, rng=0)
    # per epoch: two training batches, then one validation forward
    assert spy.modes == [True, True, False] * 2


def test_evaluate_and_predict_restore_the_mode_and_agree_when_batched():
    X, y = spirals(10, rng=0)
    model = Sequential(Dense(2, 5, rng=0), Tanh(), Dense(5, 3, rng=1))
    model.train()
    whole = evaluate(model, CrossEntropyLoss(), X, y)
    chunks = evaluate(model, CrossEntropyLoss(), X, y, batch_size=7)
    assert model.training
    assert chunks["loss"] == pytest.approx(whole["loss"], rel=1e-12)
    assert chunks["accuracy"] == whole["accuracy"]
    np.testing.assert_allclose(predict(model, X, batch_size=4), predict(model, X), rtol=1e-14)
    assert whole["loss"] == pytest.approx(float(CrossEntropyLoss()(predict(model, X), y)), rel=1e-14)


def test_fit_keeps_float32():
    X, y = xor()
    model = _xor_model(np.float32)
    history = fit(model, CrossEntropyLoss(), Adam(model.parameters(), lr=0.05), X.astype(np.float32), y,
                  epochs=200, batch_size=4, rng=0, progress=False)
    assert history["accuracy"][-1] == 1.0
    assert model[0].W.data.dtype == np.float32


@pytest.mark.parametrize("kwargs, error, pattern", [
    (dict(epochs=0), ValueError, "epochs must be >= 1"),
    (dict(epochs=1.5), TypeError, "epochs must be an integer"),
    (dict(batch_size=0), ValueError, "batch_size must be >= 1"),
    (dict(y=np.array([0, 1, 1])), ValueError, "y has 3 rows but X has 4"),
    (dict(X_val=np.zeros((2, 2))), ValueError, "X_val and y_val"),
    (dict(X_val=np.zeros((2, 2)), y_val=np.zeros(3, int)), ValueError, "y_val has 3 rows but X_val has 2"),
    (dict(on_nonfinite="ignore"), ValueError, "on_nonfinite"),
    (dict(callbacks=[42]), TypeError, r"callbacks\[0\]"),
    (dict(metrics=("f1",)), ValueError, "unknown metric 'f1'"),
    (dict(loss=lambda p, t: 0.0), TypeError, r"\.grad"),
])
def test_fit_refuses_bad_arguments(kwargs, error, pattern):
    X, y = xor()
    model = _xor_model()
    args = dict(model=model, loss=CrossEntropyLoss(), optimizer=SGD(model.parameters(), lr=0.1), X=X, y=y,
                epochs=2, progress=False)
    args.update(kwargs)
    with pytest.raises(error, match=pattern):
        fit(**args)


def test_fit_takes_any_loss_object_with_call_and_grad():
    """A loss without value_and_grad (written by a reader) trains exactly like the built-in one."""
    from nnlib import CrossEntropyLoss, Dense, optim
    from nnlib.losses import cross_entropy, cross_entropy_grad
    from nnlib.train import fit

    class MyLoss:
        def __call__(self, pred, target):
            return cross_entropy(pred, target)

        def grad(self, pred, target):
            return cross_entropy_grad(pred, target)

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 5)), rng.integers(0, 3, size=40)
    runs = []
    for loss in (MyLoss(), CrossEntropyLoss()):
        model = Dense(5, 3, rng=1)
        history = fit(model, loss, optim.SGD(model.parameters(), lr=0.1), X, y, 3, batch_size=8, rng=2,
                      progress=False)
        runs.append((history["loss"], model.W.data.copy()))
    np.testing.assert_allclose(runs[0][0], runs[1][0], rtol=1e-12)
    np.testing.assert_allclose(runs[0][1], runs[1][1], rtol=1e-12)
