"""Exercises of the loss-functions chapter: references pass, starters are "not attempted",
and typical wrong answers (wrong shape, wrong sign, wrong axis, off by one, unstable) fail."""
import numpy as np
import pytest

from nnbook.exercises import CHAPTERS, all_exercises, exercise

IDS = [f"losses.ex{k}" for k in range(1, 7)]


def _log_softmax(z):
    s = z - z.max(axis=1, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=1, keepdims=True))


def _softmax_rows(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _keras_bce(y_true, y_pred, eps=1e-7):
    y_pred = np.clip(y_pred, eps, 1 - eps)
    return np.mean(-(y_true * np.log(y_pred) + (1 - y_true) * np.log(1 - y_pred)))


def _ce_grad_wrong_axis(z, t):
    e = np.exp(z - z.max(axis=0, keepdims=True))
    p = e / e.sum(axis=0, keepdims=True)          # normalised over the batch, not the classes
    p[np.arange(len(t)), t] -= 1
    return p / len(t)


def _ce_grad(z, t, scale=None, sign=1.0):
    p = _softmax_rows(z)
    p[np.arange(len(t)), t] -= 1
    return sign * p / (len(t) if scale is None else scale)


WRONG_ANSWERS = {
    "losses.ex1": {
        "broadcast (N,1) - (N,) into (N,N)": lambda y_pred, y_true: np.mean((y_pred - y_true) ** 2),
        "sum instead of mean": lambda y_pred, y_true: np.sum((y_pred - y_true.reshape(y_pred.shape)) ** 2),
        "divides by N - 1": lambda y_pred, y_true: np.sum((y_pred - y_true.reshape(y_pred.shape)) ** 2)
        / max(y_pred.size - 1, 1) + (0.0 if y_pred.size > 1 else 1.0),
        "not squared": lambda y_pred, y_true: np.mean(np.abs(y_pred - y_true.reshape(y_pred.shape))),
        "root mean square": lambda y_pred, y_true: np.sqrt(np.mean((y_pred - y_true.reshape(y_pred.shape)) ** 2)),
        "half the mean (½ convention)": lambda y_pred, y_true: 0.5 * np.mean((y_pred - y_true.reshape(y_pred.shape)) ** 2),
        "returns an array": lambda y_pred, y_true: (y_pred - y_true.reshape(y_pred.shape)) ** 2,
    },
    "losses.ex2": {
        "naive log of softmax (overflows)": lambda z, t: -np.mean(
            np.log(np.exp(z) / np.exp(z).sum(axis=1, keepdims=True))[np.arange(len(t)), t]),
        "stable softmax, then log (log 0)": lambda z, t: -np.mean(np.log(_softmax_rows(z))[np.arange(len(t)), t]),
        "wrong sign": lambda z, t: np.mean(_log_softmax(z)[np.arange(len(t)), t]),
        "sum instead of mean": lambda z, t: -np.sum(_log_softmax(z)[np.arange(len(t)), t]),
        "softmax over the batch (axis 0)": lambda z, t: -np.mean(
            (z - z.max(axis=0) - np.log(np.exp(z - z.max(axis=0)).sum(axis=0)))[np.arange(len(t)), t]),
        "off-by-one class index": lambda z, t: -np.mean(_log_softmax(z)[np.arange(len(t)), (t + 1) % z.shape[1]]),
        "log base 2": lambda z, t: -np.mean(_log_softmax(z)[np.arange(len(t)), t]) / np.log(2),
    },
    "losses.ex3": {
        "no 1/N": lambda z, t: _ce_grad(z, t, scale=1),
        "wrong sign (Y - p)": lambda z, t: _ce_grad(z, t, sign=-1.0),
        "softmax over the wrong axis": _ce_grad_wrong_axis,
        "divides by C instead of N": lambda z, t: _ce_grad(z, t, scale=z.shape[1]),
        "forgets the one-hot": lambda z, t: _softmax_rows(z) / len(t),
        "float64 for float32 input": lambda z, t: _ce_grad(z.astype(np.float64), t),
        "transposed": lambda z, t: _ce_grad(z, t).T,
    },
    "losses.ex4": {"log base 2": np.log2(10), "log base 10": 1.0, "probability 1/10": 0.1,
                   "minus ln 10": -np.log(10), "ln 9 (off by one)": np.log(9)},
    "losses.ex5": {"a": "a", "c": "c", "d": "d"},
    "losses.ex6": {
        "swapped, as in source 001": lambda outputs, labels: _keras_bce(outputs, labels),
        "no clipping": lambda outputs, labels: np.mean(
            -(labels * np.log(outputs) + (1 - labels) * np.log(1 - outputs))),
        "wrong sign": lambda outputs, labels: -_keras_bce(labels, outputs),
        "sum instead of mean": lambda outputs, labels: _keras_bce(labels, outputs) * labels.size,
    },
}


def test_the_chapter_is_registered_with_six_exercises_of_every_kind():
    assert "losses" in CHAPTERS
    exs = all_exercises("losses")
    assert [e.id for e in exs] == IDS
    assert {e.kind for e in exs} == {"function", "value", "choice", "bug"}


@pytest.mark.parametrize("ex_id", [i for i in IDS if exercise(i).runs_code])
def test_reference_gives_finite_answers_on_hidden_cases_of_other_seeds(ex_id):
    ex = exercise(ex_id)
    ref = ex.reference_function()
    for case in ex.hidden_cases("secret", "student"):
        out = ref(*case.args)
        assert np.all(np.isfinite(out)), f"{ex_id} {case.name}: {out}"


def test_mse_broadcast_bug_fails_on_the_shape_case_with_a_readable_message():
    result = exercise("losses.ex1").check(WRONG_ANSWERS["losses.ex1"]["broadcast (N,1) - (N,) into (N,N)"])
    assert "outputs (8, 1), targets (8,)" in result.detail, result.detail


def test_naive_cross_entropy_passes_small_logits_and_fails_on_large_ones():
    result = exercise("losses.ex2").check(WRONG_ANSWERS["losses.ex2"]["naive log of softmax (overflows)"])
    # it fails the ±1000 case and the float32 case (logits of ±30·3 overflow exp in float32)
    assert "large logits" in result.detail and result.passed == result.total - 2, repr(result)


@pytest.mark.parametrize("ex_id", IDS)
def test_hints_are_levelled_and_the_last_one_says_so(ex_id):
    ex = exercise(ex_id)
    assert len(ex.hints) >= 2
    assert "last hint" in repr(ex.hint(len(ex.hints)))
    assert ex.hint(1).text != ex.hint(2).text


LN10 = float(np.log(10))


@pytest.mark.parametrize("answer", [2.303, 2.302, 2.3026, 2.30259, LN10, np.float32(LN10),
                                    LN10 * (1 + 4.9e-4), LN10 * (1 - 4.9e-4)])
def test_value_exercise_accepts_every_answer_correct_to_four_significant_digits(answer):
    # 2.303 is ln 10 rounded to 4 significant digits, 2.302 cut off after 4: both are within 5e-4
    result = exercise("losses.ex4").check(answer)
    assert result.ok, result


@pytest.mark.parametrize("answer", [2.3, 2.301, 2.304, 2.31, LN10 * (1 + 5.1e-4), LN10 * (1 - 5.1e-4)])
def test_value_exercise_rejects_answers_off_by_more_than_four_significant_digits_allow(answer):
    assert not exercise("losses.ex4").check(answer).ok


def test_value_exercise_statement_states_the_precision_its_check_uses():
    ex = exercise("losses.ex4")
    assert "4 significant digits" in ex.statement and r"5 \times 10^{-4}" in ex.statement
    assert (ex.rtol, ex.atol) == (5e-4, 0.0)


def _power(x):
    return f"$10^{{{round(float(np.log10(x)))}}}$"


@pytest.mark.parametrize("ex_id", ["losses.ex1", "losses.ex2", "losses.ex3", "losses.ex6"])
def test_function_statements_state_the_tolerances_of_their_check(ex_id):
    ex = exercise(ex_id)
    text = " ".join(ex.statement.split())
    stated = f"relative error of up to {_power(ex.rtol)} ({_power(ex.rtol32)} for float32 inputs)"
    if ex_id == "losses.ex3":  # an array: small entries are judged by the absolute tolerance
        stated = (f"relative error of {_power(ex.rtol)} or an absolute error of {_power(ex.atol)} "
                  f"({_power(ex.rtol32)} and {_power(ex.atol32)} for float32 inputs)")
    assert stated in text, text


def _ce_scipy_style(z, t):
    m = z.max(axis=1)
    lse = m + np.log(np.exp(z - m[:, None]).sum(axis=1))
    return float(np.mean(lse - z[np.arange(len(t)), t]))


def _ce_grad_in_float64_then_cast(z, t):
    p = _softmax_rows(z.astype(np.float64))
    p[np.arange(len(t)), t] -= 1
    return (p / len(t)).astype(z.dtype)


def _ce_grad_via_log_softmax(z, t):
    y = np.zeros_like(z)
    y[np.arange(len(t)), t] = 1
    return (np.exp(_log_softmax(z)) - y) * (1 / len(t))


RIGHT_ANSWERS = {
    "losses.ex1": {
        "ravel both, python float": lambda y_pred, y_true: float(np.mean((y_pred.ravel() - y_true.ravel()) ** 2)),
        "reshape(-1, 1), accumulate in float64": lambda y_pred, y_true: np.mean(
            (y_pred.astype(np.float64) - y_true.reshape(-1, 1)) ** 2),
        "sum over N": lambda y_pred, y_true: np.sum((y_pred[:, 0] - y_true.reshape(-1)) ** 2) / len(y_pred),
    },
    "losses.ex2": {
        "log-sum-exp minus the true logit": _ce_scipy_style,
        "in float64": lambda z, t: -np.mean(_log_softmax(z.astype(np.float64))[np.arange(len(t)), t]),
    },
    "losses.ex3": {
        "float64, then cast back": _ce_grad_in_float64_then_cast,
        "exp(log_softmax) - one-hot, times 1/N": _ce_grad_via_log_softmax,
    },
    "losses.ex6": {
        "own formula with Keras's clipping and log1p": lambda outputs, labels: np.mean(-(
            labels * np.log(np.clip(outputs, 1e-7, 1 - 1e-7))
            + (1 - labels) * np.log1p(-np.clip(outputs, 1e-7, 1 - 1e-7)))),
        "in float64": lambda outputs, labels: _keras_bce(labels.astype(np.float64), outputs.astype(np.float64)),
    },
}


@pytest.mark.parametrize("ex_id, label", [(i, k) for i, answers in RIGHT_ANSWERS.items() for k in answers])
def test_other_correct_ways_of_computing_the_answer_pass(ex_id, label):
    result = exercise(ex_id).check(RIGHT_ANSWERS[ex_id][label])
    assert result.ok, result
