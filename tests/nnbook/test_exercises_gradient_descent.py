"""The gradient-descent chapter's exercises: references pass, starters are "not attempted", wrong answers fail.

``WRONG_ANSWERS`` has the layout of ``tests/nnbook/test_exercises.py`` so that it can be
merged there: exercise id -> list of (label, answer).
"""
import math

import numpy as np
import pytest

from nnbook.exercises import all_exercises, check, exercise, hint, solution
from nnbook.exercises.cells import exercise_cells
from nnbook.exercises.checking import unchanged_bug

IDS = [ex.id for ex in all_exercises("gradient_descent")]
BUGGY_SGD = exercise("gradient_descent.ex6").buggy


# -- wrong answers to ex1: gradient descent on a quadratic -----------------------
def _gd(sign=1.0, include_x0=True, extra_step=0, grad=lambda A, x, b: A @ x - b, as_list=False, f64=False):
    def gd(A, b, x0, lr, steps):
        x = x0.copy()
        path = [x] if include_x0 else []
        for _ in range(steps + extra_step):
            x = x - sign * lr * grad(A, x, b)
            path.append(x)
        out = np.array(path) if not as_list else [p.tolist() for p in path]
        return out.astype(np.float64) if f64 else out
    return gd


def _gd_in_place(A, b, x0, lr, steps):    # appends the same array object again and again
    x = x0.copy()
    path = [x]
    for _ in range(steps):
        x -= lr * (A @ x - b)
        path.append(x)
    return np.array(path)


# -- wrong answers to ex2: EMA momentum --------------------------------------
def _ema(form="ema", v_start="zeros", order="v_then_x"):
    def momentum_ema(A, b, x0, lr, beta, steps):
        x = x0.copy()
        v = np.zeros_like(x0) if v_start == "zeros" else None
        path = [x]
        for _ in range(steps):
            g = A @ x - b
            if v is None:
                v = g.copy()
            elif form == "ema":
                v = beta * v + (1 - beta) * g
            elif form == "pytorch":
                v = beta * v + g
            elif form == "swapped":
                v = (1 - beta) * v + beta * g
            if order == "x_then_v":
                x = x - lr * (beta * v)
            else:
                x = x - lr * v
            path.append(x)
        return np.array(path)
    return momentum_ema


# -- wrong answers to ex6: the mini-batch SGD bug -------------------------------
def _fix(old, new):
    ns = {"np": np}
    exec(BUGGY_SGD.replace(old, new), ns)
    return ns["sgd"]


FULL = ("            err = X @ w - y\n            w = w - lr * 2 * X.T @ err / N")
RIGHT = ("            Xb, yb = X[idx], y[idx]\n            err = Xb @ w - yb\n"
         "            w = w - lr * 2 * Xb.T @ err / len(idx)")


def _sgd_variant(order_once=False, no_shuffle=False, divide_by=None, factor=2, fresh_rng=False):
    def sgd(X, y, w, lr, batch_size, epochs, seed):
        rng = np.random.default_rng(seed)
        N = len(X)
        order = rng.permutation(N)
        for epoch in range(epochs):
            if fresh_rng:
                order = np.random.default_rng(seed).permutation(N)
            elif not order_once and epoch > 0:
                order = rng.permutation(N)
            if no_shuffle:
                order = np.arange(N)
            for start in range(0, N, batch_size):
                idx = order[start:start + batch_size]
                Xb, yb = X[idx], y[idx]
                denom = {"batch_size": batch_size, "N": N}.get(divide_by, len(idx))
                w = w - lr * factor * Xb.T @ (Xb @ w - yb) / denom
        return w
    return sgd


def _full_batch_rewritten(X, y, w, lr, batch_size, epochs, seed):
    n_batches = -(-len(X) // batch_size)
    for _ in range(epochs * n_batches):            # as many updates, each on all the examples
        w = w - lr * 2 * X.T @ (X @ w - y) / len(X)
    return w


WRONG_ANSWERS = {
    "gradient_descent.ex1": [
        ("gradient ascent (wrong sign)", _gd(sign=-1.0)),
        ("x0 left out of the path (off by one)", _gd(include_x0=False)),
        ("one step too many", _gd(extra_step=1)),
        ("gradient A x + b (sign of b)", _gd(grad=lambda A, x, b: A @ x + b)),
        ("gradient 2 A x - b (a factor 2)", _gd(grad=lambda A, x, b: 2 * A @ x - b)),
        ("only the final point", lambda A, b, x0, lr, steps: _gd()(A, b, x0, lr, steps)[-1]),
        ("path transposed (wrong axis)", lambda A, b, x0, lr, steps: _gd()(A, b, x0, lr, steps).T),
        ("a list of lists", _gd(as_list=True)),
        ("float64 promotion", _gd(f64=True)),
        ("in-place update aliases every row", _gd_in_place),
    ],
    "gradient_descent.ex2": [
        ("PyTorch's sum instead of the average", _ema(form="pytorch")),
        ("velocity started at the first gradient", _ema(v_start="first")),
        ("beta and 1 - beta swapped", _ema(form="swapped")),
        ("step with beta * v", _ema(order="x_then_v")),
        ("plain gradient descent", lambda A, b, x0, lr, beta, steps: _gd()(A, b, x0, lr, steps)),
        ("gradient ascent", lambda A, b, x0, lr, beta, steps: 2 * x0 - _ema()(A, b, x0, lr, beta, steps)),
        ("x0 left out of the path", lambda A, b, x0, lr, beta, steps: _ema()(A, b, x0, lr, beta, steps)[1:]),
    ],
    "gradient_descent.ex3": [
        ("2 / smallest eigenvalue", 0.5), ("1 / L instead of 2 / L", 0.1), ("2 / diagonal entry", 2 / 7),
        ("2 / coefficient of x^2", 2 / 3.5), ("L itself", 10.0), ("a string", "0.2"), ("a boolean", True),
        ("an array of shape (1,)", np.array([0.2])), ("just outside 4 significant digits, above", 0.20011),
        ("just outside 4 significant digits, below", 0.19989),
    ],
    "gradient_descent.ex4": [
        ("local minimum", "a"), ("skips zero-gradient parameters", "c"), ("global minimum", "(d)"),
        ("not an option", "e"), ("a number", 2), ("a boolean", True),
    ],
    "gradient_descent.ex5": [
        ("uncorrected m_2", 0.39), ("corrected with t = 1", 3.9), ("plain mean of g1 and g2", 2.0),
        ("the last gradient", 3.0), ("m_1 corrected", 1.0), ("a string", "2.05"),
        ("an array of shape (1,)", np.array([0.39 / 0.19])), ("3 significant digits", 2.05),
        ("just outside 4 significant digits, above", 2.054), ("just outside 4 significant digits, below", 2.0515),
    ],
    "gradient_descent.ex6": [
        ("the bug kept, rewritten", _full_batch_rewritten),
        ("batch used, but divided by N", _fix(FULL, RIGHT.replace("/ len(idx)", "/ N"))),
        ("divided by batch_size (last batch smaller)", _sgd_variant(divide_by="batch_size")),
        ("one order for all epochs", _sgd_variant(order_once=True)),
        ("no shuffling", _sgd_variant(no_shuffle=True)),
        ("same permutation every epoch (rng re-created)", _sgd_variant(fresh_rng=True)),
        ("factor 2 forgotten", _sgd_variant(factor=1)),
        ("gradient ascent", _fix(FULL, RIGHT.replace("w = w - lr", "w = w + lr"))),
        ("float64 promotion", lambda X, y, w, lr, B, E, s: _sgd_variant()(X, y, w, lr, B, E, s).astype(np.float64)),
    ],
}


def test_the_chapter_has_six_exercises_of_all_four_kinds():
    assert IDS == [f"gradient_descent.ex{i}" for i in range(1, 7)]
    assert {exercise(i).kind for i in IDS} == {"function", "value", "choice", "bug"}
    assert set(WRONG_ANSWERS) == set(IDS)
    assert all(len(answers) >= 3 for answers in WRONG_ANSWERS.values())


def test_the_repaired_sgd_passes_and_the_original_is_recognised():
    ex = exercise("gradient_descent.ex6")
    ns = {"np": np}
    exec(ex.starter_code(), ns)
    assert unchanged_bug(ex, ns["sgd"])
    fixed = _fix(FULL, RIGHT)
    assert not unchanged_bug(ex, fixed)
    assert check("gradient_descent.ex6", fixed).ok
    assert check("gradient_descent.ex6", _sgd_variant()).ok


def test_values_of_the_value_exercises():
    assert check("gradient_descent.ex3", 0.2).ok
    assert check("gradient_descent.ex5", 0.39 / 0.19).ok and abs(0.39 / 0.19 - 2.0526315789) < 1e-9
    assert check("gradient_descent.ex4", "(B)").ok


@pytest.mark.parametrize("exercise_id, exact", [("gradient_descent.ex3", 0.2), ("gradient_descent.ex5", 0.39 / 0.19)])
def test_value_exercises_state_4_significant_digits_and_accept_every_answer_that_has_them(exercise_id, exact):
    ex = exercise(exercise_id)
    text = " ".join(ex.statement.split())
    assert "to at least 4 significant digits (the check accepts a relative error up to $5 \\times 10^{-4}$)" in text
    assert (ex.rtol, ex.atol) == (5e-4, 0.0)
    decimals = 3 - math.floor(math.log10(exact))                       # decimals of 4 significant digits
    rounded, cut = round(exact, decimals), math.floor(exact * 10**decimals) / 10**decimals
    for answer in (exact, rounded, cut, float(f"{exact:.5g}"), exact * (1 + 0.95 * 5e-4), exact * (1 - 0.95 * 5e-4)):
        assert check(exercise_id, answer).ok, answer
    for answer in (exact * (1 + 1.05 * 5e-4), exact * (1 - 1.05 * 5e-4)):
        assert not check(exercise_id, answer).ok, answer


@pytest.mark.parametrize("exercise_id", ["gradient_descent.ex1", "gradient_descent.ex2", "gradient_descent.ex6"])
def test_function_exercises_state_the_tolerances_their_check_uses(exercise_id):
    ex = exercise(exercise_id)
    assert (ex.rtol, ex.atol, ex.rtol32, ex.atol32) == (1e-7, 1e-9, 1e-5, 1e-6)
    assert ("The check accepts each entry within a relative error of $10^{-7}$ or an absolute error of "
            "$10^{-9}$ ($10^{-5}$ and $10^{-6}$ for float32 inputs).") in " ".join(ex.statement.split())


def test_ex5_accepts_the_answers_a_reader_would_give():
    # the exact value is 2.0526315...: 2.0526 (5 digits), 2.053 (rounded) and 2.052 (cut off) are right
    for answer in (2.0526, 2.053, 2.052, 2.0531, np.float32(0.39) / np.float32(0.19)):
        assert check("gradient_descent.ex5", answer).ok, answer
    for answer in (2.05, 2.054, 2.0515, 2.1):
        assert not check("gradient_descent.ex5", answer).ok, answer


def test_references_are_consistent_with_the_chapter_and_nnlib():
    from nnlib import Parameter, optim
    from nnbook.exercises.solutions import gradient_descent as ref

    rng = np.random.default_rng(0)
    A = np.array([[3.0, 1.0], [1.0, 2.0]])
    b, x0 = rng.normal(size=2), rng.normal(size=2)
    # ex2's reference is nnlib's SGDMomentumEMA on the quadratic
    p = Parameter(x0.copy())
    opt = optim.SGDMomentumEMA([p], lr=0.3, beta=0.8)
    path = [p.data.copy()]
    for _ in range(25):
        p.grad[...] = A @ p.data - b
        opt.step()
        path.append(p.data.copy())
    np.testing.assert_allclose(ref.momentum_ema(A, b, x0, 0.3, 0.8, 25), np.array(path), rtol=1e-12)
    # ex1's reference converges to the solution of A x = b
    np.testing.assert_allclose(ref.gd(A, b, x0, 0.3, 500)[-1], np.linalg.solve(A, b), rtol=1e-10)
    # ex5 by nnlib's Adam state
    q = Parameter(np.zeros(1))
    adam = optim.Adam([q], lr=1e-3)
    for g in (1.0, 3.0):
        q.grad[...] = g
        adam.step()
    assert adam.state[q]["exp_avg"][0] / (1 - 0.9**2) == pytest.approx(ref.m_hat_2(), rel=1e-12)


@pytest.mark.parametrize("exercise_id", IDS)
def test_notebook_cells_hints_and_solutions(exercise_id):
    cells = exercise_cells(exercise_id)
    assert [c.metadata["nnbook"]["role"] for c in cells] == ["statement", "starter", "check"]
    ex = exercise(exercise_id)
    assert len(ex.hints) >= 2 and repr(hint(exercise_id)).startswith(f"💡 {exercise_id}, hint 1 of")
    assert f"def {ex.reference or ex.answer_name}(" in repr(solution(exercise_id))
