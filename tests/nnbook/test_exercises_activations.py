"""The activations chapter's exercises: references pass, starters are "not attempted", wrong answers fail."""
import numpy as np
import pytest

from nnbook.exercises import all_exercises, check, exercise
from nnbook.exercises.checking import unchanged_bug
from nnbook.exercises.solutions import activations as ref

IDS = [ex.id for ex in all_exercises("activations")]


def _sig(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _softmax(axis=-1, shift="row"):
    def softmax(x):
        if shift == "row":
            x = x - x.max(axis=axis, keepdims=True)
        elif shift == "global":
            x = x - x.max()
        e = np.exp(x)
        return e / e.sum(axis=axis, keepdims=True)
    return softmax


def _fixed_tanh_backward(old: str, new: str):
    ns = {"np": np}
    source = exercise("activations.ex7").buggy
    assert old in source
    exec(source.replace(old, new), ns)
    return ns["tanh_backward"]


class LyingArray(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(self), dtype=bool)


WRONG_ANSWERS = {
    "activations.ex1": [
        ("exp(x) / (1 + exp(x)) gives nan at +1000", lambda x: np.exp(x) / (1 + np.exp(x))),
        ("wrong sign: sigma(-x)", lambda x: _sig(-x)),
        ("tanh instead of sigmoid", lambda x: np.tanh(x)),
        ("float64 for a float32 input", lambda x: _sig(x).astype(np.float64)),
        ("squeezed: wrong shape for a batch of one", lambda x: np.squeeze(_sig(x))),
        ("clipped to [-30, 30] before exp, loses the tails", lambda x: 1 / (1 + np.exp(-np.clip(x, -30, 30)))),
        ("float32 precision for a float64 input", lambda x: _sig(x.astype(np.float32)).astype(x.dtype)),
        ("a lying ndarray subclass", lambda x: np.zeros_like(x).view(LyingArray)),
    ],
    "activations.ex2": [
        ("1 at the kink (z >= 0)", lambda z: (z >= 0).astype(z.dtype)),
        ("booleans", lambda z: z > 0),
        ("relu instead of its derivative", lambda z: np.maximum(z, 0)),
        ("sign: -1 for negative z", lambda z: np.sign(z)),
        ("float64 for a float32 input", lambda z: (z > 0).astype(np.float64)),
        ("leaky slope 0.01 for z <= 0", lambda z: np.where(z > 0, 1.0, 0.01).astype(z.dtype)),
    ],
    "activations.ex3": [
        ("wrong axis (axis=0)", _softmax(axis=0)),
        ("no max subtraction: nan for large logits", _softmax(shift="none")),
        ("one maximum for the whole array", _softmax(shift="global")),
        ("normalised over the whole array", lambda x: np.exp(x - x.max()) / np.exp(x - x.max()).sum()),
        ("float64 for a float32 input", lambda x: _softmax()(x).astype(np.float64)),
        ("log-softmax instead", lambda x: np.log(_softmax()(x))),
        ("transposed", lambda x: _softmax()(x).T),
    ],
    "activations.ex4": [
        ("sigma(0) instead of sigma'(0)", 0.5), ("the slope of tanh at 0", 1.0),
        ("sigma'(1)", 0.19661193324148185), ("a string", "0.25"), ("a boolean", True),
        ("an array of shape (1,)", np.array([0.25])),
    ],
    "activations.ex5": [
        ("sum of ten factors", 2.5), ("nine factors (off by one)", 0.25 ** 9),
        ("eleven factors (off by one)", 0.25 ** 11), ("one factor", 0.25), ("no shrinking", 1.0),
        ("wrong sign", -(0.25 ** 10)), ("the largest product over a_0, not the bound", 3.901274012668984e-07),
        ("three significant digits where six are asked", 9.54e-7),
    ],
    "activations.ex6": [
        ("outputs in (0, 1)", "b"), ("larger gradients", "c"), ("overflow", "(d)"), ("not an option", "e"),
        ("a number", 1),
    ],
    "activations.ex7": [
        ("tanh applied twice: 1 - tanh(h)^2", _fixed_tanh_backward("(1 - np.tanh(h))", "(1 - np.tanh(h) ** 2)")),
        ("the square missing: 1 - h", _fixed_tanh_backward("(1 - np.tanh(h))", "(1 - h)")),
        ("upstream gradient dropped", lambda h, grad_out: 1 - h * h),
        ("wrong sign", lambda h, grad_out: -grad_out * (1 - h * h)),
        ("sigmoid's derivative h (1 - h)", lambda h, grad_out: grad_out * h * (1 - h)),
        ("float64 for a float32 input", lambda h, grad_out: (grad_out * (1 - h * h)).astype(np.float64)),
        ("summed over the batch", lambda h, grad_out: (grad_out * (1 - h * h)).sum(axis=0)),
    ],
}


def test_the_chapter_has_seven_exercises_of_all_four_kinds():
    assert IDS == [f"activations.ex{i}" for i in range(1, 8)]
    assert {exercise(i).kind for i in IDS} == {"function", "value", "choice", "bug"}


def test_naive_sigmoid_fails_because_its_exponential_overflows():
    result = check("activations.ex1", lambda x: 1 / (1 + np.exp(-x)))
    assert not result.ok, repr(result)
    assert "overflow" in repr(result) and "does not allow" in repr(result), repr(result)


def test_both_branches_computed_in_full_fail_but_the_masked_stable_form_passes():
    both = lambda x: np.where(x >= 0, 1 / (1 + np.exp(-x)), np.exp(x) / (1 + np.exp(x)))
    assert not check("activations.ex1", both).ok

    def stable(x):
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1 / (1 + e), e / (1 + e))
    assert check("activations.ex1", stable).ok


def test_wrong_axis_softmax_is_reported_as_a_value_mismatch_on_the_first_case():
    text = repr(check("activations.ex3", _softmax(axis=0)))
    assert "case 'normal': values differ" in text


def test_nan_softmax_is_caught_on_the_large_case():
    text = repr(check("activations.ex3", _softmax(shift="none")))
    assert "case 'large: logits near ±1000'" in text


def test_softmax_wrong_axis_gives_columns_summing_to_one_not_rows():
    x = np.random.default_rng(0).normal(size=(4, 3))
    wrong = _softmax(axis=0)(x)
    np.testing.assert_allclose(wrong.sum(axis=0), 1.0)
    assert not np.allclose(wrong.sum(axis=1), 1.0)
    np.testing.assert_allclose(ref.softmax(x).sum(axis=1), 1.0, rtol=1e-15)


def test_bug_exercise_recognises_the_original_but_not_a_fix():
    ex = exercise("activations.ex7")
    ns = {"np": np}
    exec(ex.buggy, ns)
    assert unchanged_bug(ex, ns["tanh_backward"])
    fixed = _fixed_tanh_backward("(1 - np.tanh(h))", "(1 - h ** 2)")
    assert not unchanged_bug(ex, fixed)
    assert check("activations.ex7", fixed).ok


def test_tanh_backward_reference_matches_torch_autograd():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    z, g = rng.normal(size=(5, 4)) * 2, rng.normal(size=(5, 4))
    zt = torch.tensor(z, requires_grad=True)
    (torch.tanh(zt) * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(ref.tanh_backward(np.tanh(z), g), zt.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_value_answers_are_what_the_chapter_computes():
    z = np.linspace(-10, 10, 200001)
    s = _sig(z)
    assert ref.max_sigmoid_grad() == pytest.approx(float((s * (1 - s)).max()), rel=1e-12)
    assert ref.ten_layer_bound() == pytest.approx(ref.max_sigmoid_grad() ** 10, rel=1e-15)
    assert ref.ten_layer_bound() == pytest.approx(9.5367431640625e-07, rel=1e-15)


# Exact, overflow-free forms of the sigmoid that ex1 must accept: the statement's absolute slack of one
# machine epsilon exists for the two that compute 1 - (1 - tiny) near sigma = 0.
CORRECT_SIGMOIDS = {
    "the reference: exp(-|x|) in both branches": _sig,
    "(1 + tanh(x / 2)) / 2": lambda x: (1 + np.tanh(x / 2)) / 2,
    "0.5 * (1 + tanh(0.5 * x))": lambda x: 0.5 * (1 + np.tanh(0.5 * x)),
    "1 - 1 / (1 + exp(x)) for x < 0": lambda x: np.where(x >= 0, 1 / (1 + np.exp(-np.abs(x))),
                                                        1 - 1 / (1 + np.exp(-np.abs(x)))),
    "exp(-logaddexp(0, -x))": lambda x: np.exp(-np.logaddexp(0, -x)),
    "1 - sigma(-x)": lambda x: 1 - _sig(-x),
    "scipy.special.expit": lambda x: pytest.importorskip("scipy.special").expit(x),
}


@pytest.mark.parametrize("name", list(CORRECT_SIGMOIDS))
def test_every_exact_overflow_free_sigmoid_is_accepted_without_notes(name):
    result = check("activations.ex1", CORRECT_SIGMOIDS[name])
    assert result.ok and not result.notes, f"{name}: {result!r}"


def test_the_tanh_form_really_needs_the_absolute_slack_and_no_more():
    ex = exercise("activations.ex1")
    x = np.array([-50.0, -36.5, -30.0])
    tanh_form = (1 + np.tanh(x / 2)) / 2
    error = np.abs(tanh_form - _sig(x))
    assert error.max() > ex.rtol * _sig(x).max()        # relative precision alone would reject it
    assert error.max() <= ex.atol                          # one machine epsilon absolute is enough
    assert ex.atol == np.finfo(np.float64).eps and ex.atol32 == np.finfo(np.float32).eps


def test_ex1_statement_states_the_tolerances_of_its_check():
    ex = exercise("activations.ex1")
    assert (ex.rtol, ex.rtol32) == (1e-12, 1e-5)
    for text in ("10^{-12}", "10^{-5}", f"{ex.atol / 1e-16:.1f} \\times 10^{{-16}}",
                 f"{ex.atol32 / 1e-7:.1f} \\times 10^{{-7}}"):
        assert text in ex.statement, text


def test_value_statements_state_the_relative_error_their_check_accepts():
    for eid, text in (("activations.ex4", "10^{-9}"), ("activations.ex5", "10^{-6}")):
        ex = exercise(eid)
        assert text in ex.statement and ex.rtol == float("1e" + text[4:-1]), eid


def test_ex5_accepts_the_bound_to_six_significant_digits_and_it_is_above_the_true_maximum():
    for answer in (0.25 ** 10, 4.0 ** -10, 9.53674e-7, float(f"{0.25 ** 10:.6g}")):
        assert check("activations.ex5", answer).ok, answer
    a = np.linspace(-10, 10, 200001)
    grad = np.ones_like(a)
    for _ in range(10):
        grad, a = grad * _sig(a) * (1 - _sig(a)), _sig(a)
    assert grad.max() == pytest.approx(3.901274012668984e-07, rel=1e-6)
    assert grad.max() < 0.41 * ref.ten_layer_bound()
