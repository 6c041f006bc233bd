"""The backpropagation chapter's exercises: references pass, starters are "not attempted",
minimal fixes of the buggy sources pass and typical wrong answers fail."""
import numpy as np
import pytest

from nnbook.exercises import all_exercises, check, exercise
from nnbook.exercises.core import Case
from nnbook.exercises.checking import unchanged_bug
from nnbook.exercises.solutions import backprop as ref

IDS = [ex.id for ex in all_exercises("backprop")]


def _sig(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def _dense(dX=lambda X, W, G: G @ W.T, dW=lambda X, W, G: X.T @ G, db=lambda X, W, G: G.sum(axis=0)):
    def dense_backward(X, W, grad_out, wrt):
        return {"X": dX, "W": dW, "b": db}[wrt](X, W, grad_out)
    return dense_backward


def _tanh_backward(sign=1.0, deriv=lambda h, z: 1 - h ** 2, scale=lambda n: 1.0, db1_axis=0, W2T=True, promote=False):
    def backward(X, y_true, W1, b1, W2, b2):
        z = X @ W1 + b1
        h1 = np.tanh(z)
        g = sign * (h1 @ W2 + b2 - y_true) * scale(len(X))
        dz = (g @ (W2.T if W2T else W2)) * deriv(h1, z)
        parts = [X.T @ dz, dz.sum(axis=db1_axis, keepdims=True), h1.T @ g, g.sum(axis=0, keepdims=True)]
        out = np.concatenate([p.ravel() for p in parts])
        return out.astype(np.float64) if promote else out
    return backward


def _fixed_000(old=None, new=None, extra=()):
    src = exercise("backprop.ex6").buggy.replace("D2 = (Y - A2)", "D2 = (A2 - Y)")
    if old is not None:
        src = src.replace(old, new)
    for a, b in extra:
        src = src.replace(a, b)
    ns = {"np": np, "sigmoid": _sig, "sigmoid_derivative": lambda z: _sig(z) * (1 - _sig(z))}
    exec(src, ns)
    return ns["train_xor"]


WRONG_ANSWERS = {
    "backprop.ex1": [
        ("dW transposed", _dense(dW=lambda X, W, G: G.T @ X)),
        ("dX without the transpose", _dense(dX=lambda X, W, G: G @ W)),
        ("db summed over the wrong axis", _dense(db=lambda X, W, G: G.sum(axis=1))),
        ("db with keepdims", _dense(db=lambda X, W, G: G.sum(axis=0, keepdims=True))),
        ("dW averaged over the batch", _dense(dW=lambda X, W, G: X.T @ G / len(X))),
        ("wrong sign", _dense(dW=lambda X, W, G: -(X.T @ G))),
        ("float64 promotion", _dense(dX=lambda X, W, G: (G @ W.T).astype(np.float64))),
    ],
    "backprop.ex2": [
        ("wrong sign", lambda z, t: (t - _sig(z)) * _sig(z) * (1 - _sig(z))),
        ("derivative forgotten", lambda z, t: _sig(z) - t),
        ("derivative taken at the activation", lambda z, t: (_sig(z) - t) * _sig(_sig(z)) * (1 - _sig(_sig(z)))),
        ("z instead of a", lambda z, t: (z - t) * _sig(z) * (1 - _sig(z))),
        ("factor 2 of the unhalved square", lambda z, t: 2 * (_sig(z) - t) * _sig(z) * (1 - _sig(z))),
        ("summed over the batch", lambda z, t: ((_sig(z) - t) * _sig(z) * (1 - _sig(z))).sum(axis=0)),
        ("float64 promotion", lambda z, t: ((_sig(z) - t) * _sig(z) * (1 - _sig(z))).astype(np.float64)),
    ],
    "backprop.ex3": [
        ("direct path only", -16.0), ("path through q only", -48.0), ("wrong sign", 64.0),
        ("factor 2 forgotten", -32.0), ("off in the third digit", -64.1), ("a string", "-64"), ("a boolean", True), ("an array", np.array([-64.0])),
    ],
    "backprop.ex4": [
        ("the same", "a"), ("one pass per parameter", "c"), ("one pass per layer", "(d)"),
        ("not an option", "e"), ("a number", 2),
    ],
    "backprop.ex5": [
        ("gradient ascent kept", _tanh_backward(sign=-1.0)),
        ("tanh derivative missing", _tanh_backward(deriv=lambda h, z: 1.0)),
        ("tanh applied twice", _tanh_backward(deriv=lambda h, z: 1 - np.tanh(h) ** 2)),
        ("derivative 1 - h instead of 1 - h^2", _tanh_backward(deriv=lambda h, z: 1 - h)),
        ("MSE scaling (divided by N)", _tanh_backward(scale=lambda n: 1.0 / n)),
        ("chapter 3's repair: the gradient of the mean, 2/N (y_pred - y)", _tanh_backward(scale=lambda n: 2.0 / n)),
        ("db1 summed over the wrong axis", _tanh_backward(db1_axis=1)),
        ("W2 not transposed", _tanh_backward(W2T=False)),
        ("float64 promotion", _tanh_backward(promote=True)),
    ],
    "backprop.ex6": [
        ("hidden layer still ascends", _fixed_000("D1 = np.dot(D2, W2.T)", "D1 = -np.dot(D2, W2.T)")),
        ("derivative taken at the activation", _fixed_000("sigmoid_derivative(Z2)", "sigmoid_derivative(A2)")),
        ("outputs after the last update", _fixed_000("    return A2", "    return sigmoid(np.dot(sigmoid(np.dot(X, W1) + B1), W2) + B2)")),
        ("one step too many", _fixed_000("range(steps)", "range(steps + 1)")),
        ("output layer left unchanged", _fixed_000("W2 -= LR", "W2 -= 0 * LR")),
    ],
}


def test_the_chapter_has_six_exercises_of_all_four_kinds():
    assert IDS == [f"backprop.ex{i}" for i in range(1, 7)]
    assert {exercise(i).kind for i in IDS} == {"function", "value", "choice", "bug"}
    assert all(len(exercise(i).hints) >= 2 for i in IDS)


def test_the_minimal_fixes_of_source_000_pass_and_the_original_is_recognised():
    ex = exercise("backprop.ex6")
    ns = {}
    exec(ex.starter_code(), ns)
    assert unchanged_bug(ex, ns["train_xor"])
    for fixed_source in (ex.starter_code().replace("D2 = (Y - A2)", "D2 = (A2 - Y)"),
                         ex.starter_code().replace("-=", "+=")):
        ns = {}
        exec(fixed_source, ns)
        assert not unchanged_bug(ex, ns["train_xor"])
        assert check("backprop.ex6", ns["train_xor"]).ok


def test_the_buggy_source_000_loop_really_ascends_when_changed_only_cosmetically():
    ex = exercise("backprop.ex6")
    ns = {}
    exec(ex.starter_code().replace("for i in range(steps):", "for _ in range(steps):"), ns)
    result = check("backprop.ex6", ns["train_xor"])
    assert result.status == "incorrect" and "values differ" in repr(result)


def test_the_buggy_source_002_backward_is_reported_with_its_shape_error():
    ex = exercise("backprop.ex5")
    ns = {}
    exec(ex.starter_code().replace("    h1 = np.tanh", "    X = X + 0\n    h1 = np.tanh"), ns)
    result = check("backprop.ex5", ns["backward"])
    assert result.status == "incorrect"
    assert "shapes (2,1) and (2,4) not aligned" in repr(result)


def test_the_source_002_reference_descends_and_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([[0.0], [1.0], [1.0], [0.0]])
    params = [rng.standard_normal((2, 2)), np.zeros((1, 2)), rng.standard_normal((2, 1)), np.zeros((1, 1))]
    tp = [torch.tensor(p, requires_grad=True) for p in params]
    E = 0.5 * ((torch.tanh(torch.from_numpy(X) @ tp[0] + tp[1]) @ tp[2] + tp[3] - torch.from_numpy(y)) ** 2).sum()
    E.backward()
    expected = np.concatenate([t.grad.numpy().ravel() for t in tp])
    np.testing.assert_allclose(ref.backward(X, y, *params), expected, rtol=1e-12, atol=1e-15)


def _chapter3_repair(X, y_true, W1, b1, W2, b2):
    """The activations chapter's repaired backward of source 002 (gradient of 002's mean squared error)."""
    h1 = np.tanh(np.dot(X, W1) + b1)
    y_pred = np.dot(h1, W2) + b2
    d_y = 2 * (y_pred - y_true) / len(X)             # dL/dy_pred for L = mean((y_pred - y_true)**2)
    dW2 = h1.T @ d_y
    db2 = d_y.sum(axis=0, keepdims=True)
    d_z1 = (d_y @ W2.T) * (1 - h1 ** 2)
    dW1 = X.T @ d_z1
    db1 = d_z1.sum(axis=0, keepdims=True)
    return np.concatenate([dW1.ravel(), db1.ravel(), dW2.ravel(), db2.ravel()])


def test_chapter3_repair_differs_by_the_factor_2_over_N_and_fails_ex5():
    # source 002's mse_loss is a mean, L = mean((y_pred - y)^2); ex5 asks for E = 1/2 sum(...):
    # dL/dtheta = (2/N) dE/dtheta for every parameter, so chapter 3's repair fails ex5 and passes once rescaled
    result = check("backprop.ex5", _chapter3_repair)
    assert result.status == "incorrect" and "values differ" in repr(result), repr(result)
    rng = np.random.default_rng(3)
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([[0.0], [1.0], [1.0], [0.0]])
    params = [rng.standard_normal((2, 2)), rng.standard_normal((1, 2)), rng.standard_normal((2, 1)),
              rng.standard_normal((1, 1))]
    np.testing.assert_allclose(_chapter3_repair(X, y, *params), 2 / len(X) * ref.backward(X, y, *params),
                               rtol=1e-13, atol=1e-15)

    def rescaled(X, y_true, W1, b1, W2, b2):
        return _chapter3_repair(X, y_true, W1, b1, W2, b2) * (len(X) / 2)
    assert check("backprop.ex5", rescaled).ok


def test_value_answer_of_ex3_at_four_significant_digits_passes():
    for answer in (-64, -64.0, -64.00, -63.99):
        assert check("backprop.ex3", answer).ok, answer


def _power(x):
    """``$10^{k}$`` for a tolerance that is exactly a power of ten (else the statement could not state it exactly)."""
    k = round(float(np.log10(x)))
    assert x == float(f"1e{k}"), f"tolerance {x!r} is not a power of ten"
    return f"$10^{{{k}}}$"


# The array-valued exercises, and how each statement names the case its float32 tolerances apply to.
_FLOAT32_CASES = {"backprop.ex1": "for float32 inputs", "backprop.ex2": "for float32 inputs",
                  "backprop.ex5": "for float32 inputs", "backprop.ex6": "when the parameters are float32"}


@pytest.mark.parametrize("ex_id", sorted(_FLOAT32_CASES))
def test_array_statements_state_the_tolerances_their_check_uses(ex_id):
    ex = exercise(ex_id)
    text = " ".join(ex.statement.split())
    stated = (f"The check accepts each entry within a relative error of {_power(ex.rtol)} or an absolute error "
              f"of {_power(ex.atol)} ({_power(ex.rtol32)} and {_power(ex.atol32)} {_FLOAT32_CASES[ex_id]}")
    assert stated in text, f"{ex_id}: expected {stated!r} in the statement:\n{text}"
    cases = ex.public_cases()
    assert any(ex.tolerances(c) == (ex.rtol32, ex.atol32) for c in cases), f"{ex_id}: no float32 case"
    assert any(ex.tolerances(c) == (ex.rtol, ex.atol) for c in cases), f"{ex_id}: no float64 case"


def _reference_off_by(ex_id, multiple):
    """The reference answer with every entry moved by ``multiple`` times the relative tolerance of its case."""
    ex = exercise(ex_id)
    reference = ex.reference_function()

    def answer(*args):
        rtol, _ = ex.tolerances(Case("answer", args))
        out = reference(*args)
        return (out * (1 + multiple * rtol)).astype(out.dtype)
    return answer


@pytest.mark.parametrize("ex_id", sorted(_FLOAT32_CASES))
def test_the_stated_relative_tolerance_is_the_one_the_check_applies(ex_id):
    # half the stated relative error passes in every case; four times it fails (entries are far above atol / rtol)
    assert check(ex_id, _reference_off_by(ex_id, 0.5)).ok
    result = check(ex_id, _reference_off_by(ex_id, 4.0))
    assert result.status == "incorrect" and "values differ" in repr(result), repr(result)


def test_ex6_returns_float64_outputs_for_float32_parameters_as_its_statement_says():
    ex = exercise("backprop.ex6")
    assert "Given float32 parameters, the loop still returns `A2` in float64" in " ".join(ex.statement.split())
    ns = {}
    exec(ex.starter_code().replace("D2 = (Y - A2)", "D2 = (A2 - Y)"), ns)
    params = [np.float32(0.5) * np.ones(s, dtype=np.float32) for s in ((2, 2), (2,), (2, 1), (1,))]
    out = ns["train_xor"](*params, 0.5, 3)
    assert out.dtype == np.float64 and all(p.dtype == np.float32 for p in params)
    float32_case = next(c for c in ex.public_cases() if c.name == "float32")
    assert ex.reference_function()(*[np.copy(a) if isinstance(a, np.ndarray) else a for a in float32_case.args]).dtype == np.float64
