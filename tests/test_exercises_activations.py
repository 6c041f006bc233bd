"""The activations chapter's exercises: references pass, starters are "not attempted", wrong answers fail."""
import numpy as np
import pytest

from nnlib.exercises import all_exercises, check, exercise
from nnlib.exercises.checking import unchanged_bug
from nnlib.exercises.solutions import activations as ref

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
        ("wrong sign", -(0.25 ** 10)),
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


def test_naive_sigmoid_is_accepted_with_a_note_about_the_overflow():
    result = check("activations.ex1", lambda x: 1 / (1 + np.exp(-x)))
    assert result.ok, repr(result)
    assert any("RuntimeWarning: overflow encountered in exp" in n for n in result.notes)


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
