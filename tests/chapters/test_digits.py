"""The digit classifier chapter: penalties (L1, L2) against torch, early stopping,
the chapter's data split and networks, the metric identities its equations state,
and the agreement between the notebook's prose and its printed results."""
import doctest
import json
import re
from pathlib import Path

import numpy as np
import pytest

from nnlib import CrossEntropyLoss, Dense, Dropout, Parameter, ReLU, Sequential, regularization
from nnlib.metrics import confusion_matrix, precision_recall_f1, roc_auc, roc_curve
from nnlib.optim import SGD, Adam
from nnlib.regularization import (Penalized, l1_penalty, l1_penalty_grad, l2_penalty, l2_penalty_grad,
                                  weight_parameters)
from nnbook.sizes import count_module_parameters, count_parameters
from nnlib.train import EarlyStopping, StopTraining, fit
from nnbook.experiments.digits import mean_t_interval, student_t_cdf, student_t_quantile

NOTEBOOK = Path(__file__).resolve().parents[2] / "book" / "08_digits.ipynb"


# -- the penalties of eq-l1 and eq-l2 -------------------------------------
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_l1_and_l2_penalties_and_gradients_match_torch_autograd(seed):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    w = rng.normal(size=(5, 4))
    w[0, 0] = 0.0  # the kink of |w|: both give the subgradient 0 there
    t = torch.tensor(w, requires_grad=True)
    t.abs().sum().backward()
    assert l1_penalty(w) == pytest.approx(float(np.abs(w).sum()), rel=1e-15)
    np.testing.assert_array_equal(l1_penalty_grad(w), t.grad.numpy())
    t.grad = None
    (0.5 * (t ** 2).sum()).backward()
    assert l2_penalty(w) == pytest.approx(0.5 * float((w ** 2).sum()), rel=1e-15)
    np.testing.assert_allclose(l2_penalty_grad(w), t.grad.numpy(), rtol=1e-15, atol=0)


@pytest.mark.parametrize("fn", [l1_penalty_grad, l2_penalty_grad])
def test_penalty_gradients_keep_float32_and_do_not_alias_the_weights(fn):
    w = np.array([[1.5, -2.0], [0.0, 3.0]], dtype=np.float32)
    g = fn(w)
    assert g.dtype == np.float32 and g.shape == w.shape
    g += 1
    np.testing.assert_array_equal(w, [[1.5, -2.0], [0.0, 3.0]])


def test_penalty_gradients_match_central_finite_differences_away_from_zero():
    rng = np.random.default_rng(3)
    w = rng.normal(size=(3, 3))
    w[np.abs(w) < 0.1] = 0.5
    h = 1e-6
    for f, g in ((l1_penalty, l1_penalty_grad), (l2_penalty, l2_penalty_grad)):
        numeric = np.zeros_like(w)
        for idx in np.ndindex(w.shape):
            e = np.zeros_like(w)
            e[idx] = h
            numeric[idx] = (f(w + e) - f(w - e)) / (2 * h)
        np.testing.assert_allclose(g(w), numeric, rtol=1e-7, atol=1e-9)


def _small_net(seed=0):
    rng = np.random.default_rng(seed)
    return Sequential(Dense(6, 5, rng=rng), ReLU(), Dense(5, 3, rng=rng))


def _data(seed=0, n=16):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 6)), rng.integers(0, 3, n)


def test_l2_penalty_on_every_parameter_is_exactly_sgd_weight_decay():
    """eq-l2: weight decay lambda adds lambda * w to the gradient, the gradient of (lambda/2)|w|^2."""
    X, y = _data()
    a, b = _small_net(), _small_net()
    loss = CrossEntropyLoss()
    opt_a = SGD(a.parameters(), lr=0.1, momentum=0.9, weight_decay=0.05)
    opt_b = Penalized(SGD(b.parameters(), lr=0.1, momentum=0.9), b.parameters(), l2=0.05)
    for _ in range(20):
        for model, opt in ((a, opt_a), (b, opt_b)):
            opt.zero_grad()
            out = model(X)
            model.backward(loss.grad(out, y))
            opt.step()
    for pa, pb in zip(a.parameters(), b.parameters()):
        np.testing.assert_allclose(pb.data, pa.data, rtol=1e-13, atol=1e-15)


def test_a_plain_sgd_step_with_weight_decay_shrinks_weights_by_one_minus_eta_lambda():
    """The multiplicative form of eq-l2: w <- (1 - eta lambda) w - eta g."""
    rng = np.random.default_rng(5)
    w0, g = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    w = Parameter(w0.copy())
    opt = SGD([w], lr=0.1, weight_decay=0.2)
    w.grad[...] = g
    opt.step()
    np.testing.assert_allclose(w.data, (1 - 0.1 * 0.2) * w0 - 0.1 * g, rtol=1e-14)


@pytest.mark.parametrize("l1, l2", [(0.01, 0.0), (0.0, 0.03), (0.02, 0.01)])
def test_penalized_sgd_follows_torch_sgd_on_the_penalised_loss(l1, l2):
    """eq-l1/eq-l2: the trajectory of L + l1 sum|W| + l2/2 sum W^2 (weights only) equals torch's."""
    torch = pytest.importorskip("torch")
    X, y = _data(1)
    net = _small_net(1)
    loss = CrossEntropyLoss()
    weights = weight_parameters(net)
    opt = Penalized(SGD(net.parameters(), lr=0.05, momentum=0.9), weights, l1=l1, l2=l2)

    W1, b1, W2, b2 = (torch.tensor(p.data.copy(), requires_grad=True) for p in net.parameters())
    topt = torch.optim.SGD([W1, b1, W2, b2], lr=0.05, momentum=0.9)
    Xt, yt = torch.tensor(X), torch.tensor(y)
    for step in range(25):
        opt.zero_grad()
        out = net(X)
        net.backward(loss.grad(out, y))
        opt.step()
        topt.zero_grad()
        logits = torch.relu(Xt @ W1 + b1) @ W2 + b2
        total = torch.nn.functional.cross_entropy(logits, yt)
        total = total + l1 * (W1.abs().sum() + W2.abs().sum()) + l2 / 2 * ((W1 ** 2).sum() + (W2 ** 2).sum())
        total.backward()
        topt.step()
        for p, t in zip(net.parameters(), (W1, b1, W2, b2)):
            np.testing.assert_allclose(p.data, t.detach().numpy(), rtol=1e-10, atol=1e-12,
                                       err_msg=f"step {step}")
    penalty = l1 * sum(float(np.abs(w.data).sum()) for w in weights) + l2 / 2 * sum(
        float((w.data ** 2).sum()) for w in weights)
    assert opt.penalty() == pytest.approx(penalty, rel=1e-12)


def test_l1_drives_weights_to_zero_and_l2_only_shrinks_them():
    X, y = _data(2, n=40)
    norms = {}
    for name, kw in (("none", {}), ("l1", dict(l1=0.05)), ("l2", dict(l2=0.5))):
        net = _small_net(2)
        opt = Penalized(SGD(net.parameters(), lr=0.05), weight_parameters(net), **kw)
        fit(net, CrossEntropyLoss(), opt, X, y, 200, batch_size=40, progress=False, rng=0)
        w = np.concatenate([p.data.ravel() for p in weight_parameters(net)])
        norms[name] = (np.mean(np.abs(w) < 1e-2), np.abs(w).sum())
    assert norms["l1"][0] > norms["none"][0] + 0.2, norms      # many weights near zero
    assert norms["l2"][1] < norms["none"][1], norms             # smaller weights
    assert norms["l2"][0] < norms["l1"][0], norms               # but fewer near zero than L1


def test_penalized_passes_lr_and_zero_grad_through_and_works_in_fit():
    X, y = _data(4)
    net = _small_net(4)
    inner = Adam(net.parameters(), lr=0.01)
    opt = Penalized(inner, weight_parameters(net), l1=1e-3)
    assert opt.lr == 0.01 and opt.param_groups is inner.param_groups
    opt.lr = 0.02
    assert inner.lr == 0.02
    history = fit(net, CrossEntropyLoss(), opt, X, y, 3, progress=False, rng=0)
    assert history["lr"] == [0.02] * 3
    for p in net.parameters():
        p.grad[...] = 1.0
    opt.zero_grad()
    assert all(not p.grad.any() for p in net.parameters())
    assert "l1=0.001" in repr(opt)


def test_weight_parameters_are_the_dense_weights_only():
    net = Sequential(Dense(3, 4, rng=0), ReLU(), Dropout(0.5, rng=0), Dense(4, 2, rng=0))
    ws = weight_parameters(net)
    assert [w.shape for w in ws] == [(3, 4), (4, 2)]
    assert ws[0] is net[0].W and ws[1] is net[3].W


def test_penalized_refuses_bad_arguments():
    net = _small_net()
    opt = SGD(net.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="l1 must be >= 0"):
        Penalized(opt, net.parameters(), l1=-1.0)
    with pytest.raises(TypeError, match="got a module"):
        Penalized(opt, net, l2=0.1)
    with pytest.raises(ValueError, match="not updated by the optimizer"):
        Penalized(opt, [Parameter(np.zeros(3))], l2=0.1)
    with pytest.raises(TypeError, match="must have zero_grad"):
        Penalized(object(), net.parameters())
    with pytest.raises(TypeError, match="must be an nnlib Module"):
        weight_parameters([net[0].W])


def test_regularization_and_chapter_docstring_examples_run():
    import nnbook.experiments.digits as chapter

    result = doctest.testmod(regularization, extraglobs={"np": np})
    assert result.failed == 0 and result.attempted >= 3
    result = doctest.testmod(chapter)
    assert result.failed == 0 and result.attempted >= 1



def test_weight_decay_penalises_the_biases_too_and_weight_parameters_leaves_them_alone():
    """SGD's weight_decay acts on every parameter it is given (biases too); Penalized on
    weight_parameters(model) acts on the weights only: after one step the weights agree, the biases not."""
    X, y = _data(6)
    a, b = _small_net(6), _small_net(6)
    start = [p.data.copy() for p in a.parameters()]
    loss = CrossEntropyLoss()
    opt_a = SGD(a.parameters(), lr=0.1, weight_decay=0.5)
    opt_b = Penalized(SGD(b.parameters(), lr=0.1), weight_parameters(b), l2=0.5)
    for model, opt in ((a, opt_a), (b, opt_b)):
        opt.zero_grad()
        model.backward(loss.grad(model(X), y))
        opt.step()
    for name, pa, pb, p0 in zip(("W1", "b1", "W2", "b2"), a.parameters(), b.parameters(), start):
        if name.startswith("W"):
            np.testing.assert_array_equal(pa.data, pb.data, err_msg=name)
        else:  # the decay moved a's biases by an extra -lr * wd * b
            assert np.abs(p0).min() > 0, "a zero bias would not show the decay"
            np.testing.assert_allclose(pb.data - pa.data, 0.1 * 0.5 * p0, rtol=1e-10, atol=1e-15, err_msg=name)


def test_adam_weight_decay_is_an_l2_gradient_while_adamw_decays_every_weight_alike():
    """Under Adam, weight_decay is the L2 gradient, rescaled per coordinate like the data gradient;
    AdamW (decoupled) multiplies every weight by 1 - lr * wd (Loshchilov and Hutter)."""
    from nnlib.optim import AdamW
    X, y = _data(7)
    loss = CrossEntropyLoss()
    nets = [_small_net(7) for _ in range(3)]
    opts = [Adam(nets[0].parameters(), lr=0.01, weight_decay=0.1),
            Penalized(Adam(nets[1].parameters(), lr=0.01), nets[1].parameters(), l2=0.1),
            AdamW(nets[2].parameters(), lr=0.01, weight_decay=0.1)]
    for _ in range(10):
        for model, opt in zip(nets, opts):
            opt.zero_grad()
            model.backward(loss.grad(model(X), y))
            opt.step()
    for pa, pb, pw in zip(*(n.parameters() for n in nets)):
        np.testing.assert_allclose(pb.data, pa.data, rtol=1e-12, atol=1e-14)
    assert max(np.abs(pa.data - pw.data).max() for pa, pw in zip(nets[0].parameters(), nets[2].parameters())) > 1e-4
    # the decoupled decay alone: zero data gradient, one step shrinks by exactly 1 - lr * wd
    w = Parameter(np.array([2.0, -0.5, 1e-3]))
    opt = AdamW([w], lr=0.1, weight_decay=0.2)
    opt.zero_grad()
    opt.step()
    np.testing.assert_allclose(w.data, (1 - 0.1 * 0.2) * np.array([2.0, -0.5, 1e-3]), rtol=1e-15)
    # the coupled one: the penalty gradient is normalised by Adam, so every coordinate moves by about lr
    w = Parameter(np.array([2.0, -0.5, 1e-3]))
    opt = Adam([w], lr=0.1, weight_decay=0.2)
    opt.zero_grad()
    opt.step()
    np.testing.assert_allclose(np.abs(np.array([2.0, -0.5, 1e-3]) - w.data), 0.1, rtol=1e-4)


# -- eq-digits-t-interval: the accuracy over seeds ---------------------------
@pytest.mark.parametrize("values, level", [
    ([95.83, 92.78, 94.17, 95.0, 94.17], 0.95),
    ([0.1, 0.4], 0.9),
    (np.random.default_rng(3).normal(size=12), 0.99),
    (np.random.default_rng(4).normal(size=31), 0.5),
])
def test_eq_digits_t_interval_mean_sd_and_interval_match_scipy_stats(values, level):
    """eq-digits-t-interval: mean +- t_{(1+level)/2, n-1} s / sqrt(n), as scipy.stats.t.interval."""
    stats = pytest.importorskip("scipy.stats")
    mean, sd, low, high = mean_t_interval(values, level)
    a = np.asarray(values, dtype=np.float64)
    assert mean == pytest.approx(np.mean(a), rel=1e-15)
    assert sd == pytest.approx(stats.tstd(a), rel=1e-13)
    lo_ref, hi_ref = stats.t.interval(level, len(a) - 1, loc=np.mean(a), scale=stats.sem(a))
    assert low == pytest.approx(lo_ref, rel=1e-11, abs=1e-12)
    assert high == pytest.approx(hi_ref, rel=1e-11, abs=1e-12)


def test_student_t_cdf_and_quantile_match_scipy_for_whole_degrees_of_freedom():
    stats = pytest.importorskip("scipy.stats")
    for df in range(1, 41):
        for t in (-40.0, -3.0, -1.0, -0.2, 0.0, 0.5, 2.0, 7.0, 60.0):
            assert student_t_cdf(t, df) == pytest.approx(stats.t.cdf(t, df), rel=1e-12, abs=1e-15), (t, df)
        for q in (0.005, 0.05, 0.5, 0.9, 0.95, 0.975, 0.995, 0.9995):
            assert student_t_quantile(q, df) == pytest.approx(stats.t.ppf(q, df), rel=1e-11, abs=1e-12), (q, df)


def test_mean_t_interval_refuses_bad_input():
    with pytest.raises(ValueError, match="at least two"):
        mean_t_interval([0.9])
    with pytest.raises(ValueError, match="at least two"):
        mean_t_interval([[0.9, 0.8]])
    with pytest.raises(ValueError, match="finite"):
        mean_t_interval([0.9, np.nan])
    with pytest.raises(ValueError, match="level must lie strictly between 0 and 1"):
        mean_t_interval([0.9, 0.8], level=95)
    with pytest.raises(ValueError, match="whole number"):
        student_t_quantile(0.975, 4.5)
    with pytest.raises(ValueError, match="whole number"):
        student_t_cdf(1.0, 0)
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        student_t_quantile(1.0, 3)

# -- early stopping -------------------------------------------------------
class _Recorder:
    """Callback that keeps a copy of the parameters after every epoch."""

    def __init__(self, model):
        self.model, self.states = model, []

    def __call__(self, epoch, logs):
        self.states.append(self.model.state_dict())


def _overfitting_run(patience, restore_best=True, epochs=300):
    rng = np.random.default_rng(0)
    X, X_val = rng.normal(size=(20, 6)), rng.normal(size=(60, 6))
    w = rng.normal(size=(6, 3))
    y, y_val = (X @ w).argmax(1), (X_val @ w).argmax(1)
    y[:6] = (y[:6] + 1) % 3  # noisy training labels: the validation loss eventually rises
    net = Sequential(Dense(6, 64, rng=1), ReLU(), Dense(64, 3, rng=2))
    recorder = _Recorder(net)
    stopper = EarlyStopping(net, patience=patience, restore_best=restore_best)
    history = fit(net, CrossEntropyLoss(), Adam(net.parameters(), lr=0.02), X, y, epochs, X_val=X_val,
                  y_val=y_val, progress=False, rng=0, callbacks=[recorder, stopper])
    return net, history, recorder, stopper


def test_early_stopping_stops_after_patience_epochs_and_restores_the_best_epoch():
    net, history, recorder, stopper = _overfitting_run(patience=10)
    val = np.array(history["val_loss"])
    best = int(np.argmin(val))
    assert history.stopped and "early stopping" in history.stop_reason
    assert stopper.best_epoch == best and stopper.best == val[best]
    assert history.epochs == best + 1 + 10 == stopper.stopped_epoch + 1, (history.epochs, best)
    assert np.all(val[best + 1:] >= val[best])
    for key, value in net.state_dict().items():
        np.testing.assert_array_equal(value, recorder.states[best][key])


def test_early_stopping_without_restore_keeps_the_last_parameters():
    net, history, recorder, _ = _overfitting_run(patience=5, restore_best=False)
    for key, value in net.state_dict().items():
        np.testing.assert_array_equal(value, recorder.states[-1][key])


def test_early_stopping_that_never_triggers_can_still_restore():
    net, history, recorder, stopper = _overfitting_run(patience=1000, epochs=30)
    assert not history.stopped and stopper.stopped_epoch is None
    stopper.restore()
    for key, value in net.state_dict().items():
        np.testing.assert_array_equal(value, recorder.states[stopper.best_epoch][key])


def test_early_stopping_in_max_mode_and_with_min_delta():
    net = _small_net()
    stopper = EarlyStopping(net, monitor="val_accuracy", mode="max", patience=2, min_delta=0.05)
    stopper(0, {"val_accuracy": 0.5})
    stopper(1, {"val_accuracy": 0.54})     # not better by more than min_delta
    assert stopper.best == 0.5 and stopper.wait == 1
    stopper(2, {"val_accuracy": 0.6})
    assert stopper.best == 0.6 and stopper.best_epoch == 2
    stopper(3, {"val_accuracy": 0.6})
    with pytest.raises(StopTraining, match="val_accuracy did not improve for 2 epochs"):
        stopper(4, {"val_accuracy": 0.1})


def test_early_stopping_refuses_bad_arguments():
    net = _small_net()
    with pytest.raises(ValueError, match="not in the logs"):
        EarlyStopping(net)(0, {"loss": 1.0})
    with pytest.raises(ValueError, match='mode must be "min"'):
        EarlyStopping(net, mode="lowest")
    with pytest.raises(ValueError, match="patience must be >= 1"):
        EarlyStopping(net, patience=0)
    with pytest.raises(TypeError, match="state_dict"):
        EarlyStopping(object())
    with pytest.raises(RuntimeError, match="nothing to restore"):
        EarlyStopping(net).restore()


# -- the chapter's data, networks and equations ---------------------------
def test_parameter_counts_of_the_784_and_64_input_networks():
    """eq-digits-params: P = sum_l (D_{l-1} D_l + D_l)."""
    from nnbook.experiments.digits import digit_mlp

    assert count_parameters([784, 16, 16, 10]) == (12960, 42)
    assert count_parameters([64, 16, 16, 10]) == (1440, 42)
    for widths, total in (([784, 16, 16, 10], 13002), ([64, 16, 16, 10], 1482), ([64, 128, 128, 10], 26122)):
        net = digit_mlp(widths, rng=0)
        assert count_module_parameters(net) == total == sum(count_parameters(widths))


def test_digit_mlp_layers_and_dropout():
    from nnbook.experiments.digits import digit_mlp

    net = digit_mlp([64, 32, 16, 10], rng=0, dropout=0.25)
    assert [type(m).__name__ for m in net] == ["Dense", "ReLU", "Dropout", "Dense", "ReLU", "Dropout", "Dense"]
    assert net(np.zeros((2, 64))).shape == (2, 10)
    with pytest.raises(ValueError, match="at least two"):
        digit_mlp([64])


def test_digits_have_17_grey_levels_and_the_split_is_stratified_disjoint_and_fixed():
    from nnlib.data import load_digits
    from nnbook.experiments.digits import digits_split

    X, y = load_digits()
    np.testing.assert_array_equal(np.unique(X * 16), np.arange(17))
    s = digits_split()
    sizes = [len(s[k]) for k in ("y_train", "y_val", "y_test")]
    assert sizes == [1077, 360, 360]
    counts = np.bincount(y)
    for part, n in zip(("y_train", "y_val", "y_test"), sizes):
        assert np.all(np.abs(np.bincount(s[part], minlength=10) - counts * n / len(y)) <= 1), part
    # every image lands in exactly one part (compared as a multiset of rows)
    parts = np.concatenate([s["X_train"], s["X_val"], s["X_test"]])
    labels = np.concatenate([s["y_train"], s["y_val"], s["y_test"]])
    ours = np.lexsort(np.column_stack([parts, labels]).T)
    full = np.lexsort(np.column_stack([X, y]).T)
    np.testing.assert_array_equal(np.column_stack([parts, labels])[ours], np.column_stack([X, y])[full])
    assert not s["X_train"].flags.writeable
    assert digits_split() is s


def _classifier_outputs(seed=0, n=300, C=4):
    """Scores and labels of a noisy classifier, with ties."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, C, n)
    scores = np.round(rng.normal(size=(n, C)) + 1.5 * np.eye(C)[y], 1)
    return y, scores


@pytest.mark.parametrize("seed", [0, 1])
def test_accuracy_is_the_trace_of_the_confusion_matrix_over_n(seed):
    """eq-accuracy-confusion: acc = tr(M) / N, M counted pair by pair."""
    y, scores = _classifier_outputs(seed)
    pred = scores.argmax(1)
    M = confusion_matrix(y, pred)
    M_loop = np.zeros_like(M)
    for t, p in zip(y, pred):
        M_loop[t, p] += 1
    np.testing.assert_array_equal(M, M_loop)
    assert np.trace(M) / len(y) == np.mean(y == pred)


@pytest.mark.parametrize("seed", [0, 1])
def test_precision_recall_from_the_confusion_matrix_and_f1_is_their_harmonic_mean(seed):
    """eq-precision-recall and eq-f1: F1 = 2PR/(P+R) = 2TP/(2TP+FP+FN)."""
    y, scores = _classifier_outputs(seed)
    pred = scores.argmax(1)
    M = confusion_matrix(y, pred)
    tp = np.diag(M)
    P, R, F = precision_recall_f1(y, pred, average=None)
    np.testing.assert_allclose(P, tp / M.sum(axis=0), rtol=1e-15)
    np.testing.assert_allclose(R, tp / M.sum(axis=1), rtol=1e-15)
    np.testing.assert_allclose(F, 2 * P * R / (P + R), rtol=1e-14)
    assert np.all(F <= (P + R) / 2 + 1e-15)  # the harmonic mean never exceeds the arithmetic mean


@pytest.mark.parametrize("seed", [0, 1])
def test_roc_auc_is_the_probability_a_positive_outranks_a_negative(seed):
    """eq-roc and eq-auc, one-vs-rest, ties counting one half."""
    skm = pytest.importorskip("sklearn.metrics")
    y, scores = _classifier_outputs(seed)
    scores = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)  # sklearn wants probabilities
    aucs = []
    for k in range(scores.shape[1]):
        s, pos = scores[:, k], y == k
        diff = s[pos][:, None] - s[~pos][None, :]
        aucs.append(np.mean((diff > 0) + 0.5 * (diff == 0)))
        fpr, tpr, thr = roc_curve(pos.astype(int), s)
        t = thr[5]
        assert tpr[5] == np.mean(s[pos] >= t) and fpr[5] == np.mean(s[~pos] >= t)
    assert roc_auc(y, scores) == pytest.approx(np.mean(aucs), rel=1e-12)
    assert roc_auc(y, scores) == pytest.approx(skm.roc_auc_score(y, scores, multi_class="ovr", average="macro"),
                                               rel=1e-12)


def test_dropout_scales_kept_entries_by_one_over_keep_probability_and_is_identity_in_eval():
    """eq-dropout."""
    x = np.random.default_rng(0).normal(size=(400, 50))
    drop = Dropout(0.3, rng=1)
    out = drop(x)
    np.testing.assert_allclose(out, drop.mask * x / 0.7, rtol=1e-15)
    assert abs(drop.mask.mean() - 0.7) < 0.01
    assert abs(out.mean() - x.mean()) < 0.02
    np.testing.assert_array_equal(drop.eval()(x), x)


def test_cross_entropy_is_the_mean_negative_log_softmax_of_the_true_class():
    """eq-digits-ce."""
    rng = np.random.default_rng(0)
    z, y = rng.normal(size=(7, 10)) * 3, rng.integers(0, 10, 7)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    assert float(CrossEntropyLoss()(z, y)) == pytest.approx(-np.mean(np.log(p[np.arange(7), y])), rel=1e-13)


# -- the notebook: prose and printed numbers agree ------------------------
def _notebook():
    if not NOTEBOOK.exists():
        pytest.skip("book/08_digits.ipynb not written yet")
    return json.loads(NOTEBOOK.read_text(encoding="utf-8"))


def _text(cell):
    src = cell["source"]
    return src if isinstance(src, str) else "".join(src)


def _outputs(cell):
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(_text({"source": out["text"]}))
    return "".join(parts)


FILLED = re.compile(r"\*\*([^*]+)\*\*<!-- from: ([^>]+?) -->")


def test_every_number_in_the_prose_is_one_the_code_printed():
    """A Markdown span **VALUE**<!-- from: KEY --> must match a printed "KEY: VALUE" or "KEY = VALUE"."""
    nb = _notebook()
    printed = "\n".join(_outputs(c) for c in nb["cells"] if c["cell_type"] == "code")
    filled = [m for c in nb["cells"] if c["cell_type"] == "markdown" for m in FILLED.findall(_text(c))]
    keys = {key for _, key in filled}
    assert "test accuracy" in keys, f"the test accuracy is not stated in the prose (keys: {sorted(keys)})"
    for value, key in filled:
        found = re.findall(re.escape(key) + r"(?:: | = )(\S+)", printed) or "nothing for it"
        assert f"{key}: {value}" in printed or f"{key} = {value}" in printed, (
            f"the prose says {key} is {value}, but the code printed {found}")
