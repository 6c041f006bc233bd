"""Exercises frameworks.ex1-ex6: references pass, starters are not attempted, wrong answers fail."""
import numpy as np
import pytest

from nnbook.exercises import CHAPTERS, all_exercises, check, exercise

IDS = [f"frameworks.ex{i}" for i in range(1, 7)]
BUGGY = exercise("frameworks.ex3").buggy


def _from_buggy(old, new):
    ns = {"np": np}
    exec(BUGGY.replace(old, new), ns)
    return ns["keras_loss_value"]


def _cce(y_true, y_pred, eps=1e-7):
    return np.mean(-np.sum(y_true * np.log(np.clip(y_pred, eps, 1 - eps)), axis=-1))


WRONG_ANSWERS = {
    "frameworks.ex1": [
        ("unchanged (in, out)", lambda W: W),
        ("reshaped instead of transposed", lambda W: W.reshape(W.shape[1], W.shape[0])),
        ("rows flipped", lambda W: W.T[::-1]),
        ("float64 always", lambda W: W.T.astype(np.float64)),
        ("negated", lambda W: -W.T),
        ("a nested list", lambda W: W.T.tolist()),
    ],
    "frameworks.ex2": [("everything afterwards", "b"), ("lazy move", "c"), ("learning rate", "d"),
                       ("not an option", "e"), ("a boolean", True)],
    "frameworks.ex3": [
        ("the bug kept, rewritten", lambda lab, out: _cce(out, lab)),
        ("eps dropped but order still swapped", _from_buggy("(outputs, labels)", "(outputs, labels, eps=1e-12)")),
        ("sum over the batch instead of mean", lambda lab, out: len(lab) * _cce(lab, out)),
        ("sign flipped", lambda lab, out: -_cce(lab, out)),
        ("mean over classes too (wrong axis)", lambda lab, out: np.mean(-lab * np.log(out))),
        ("per-example losses, shape (N,)", lambda lab, out: -np.sum(lab * np.log(out), axis=-1)),
        ("log of (1 - p)", lambda lab, out: np.mean(-np.sum(lab * np.log(1 - out + 1e-12), axis=-1))),
    ],
    "frameworks.ex4": [("sum, not average", 0.2), ("worker 1's own", -0.1), ("worker 0's own", 0.3),
                       ("sign flipped", -0.1), ("halved twice", 0.05), ("a string", "0.1")],
    "frameworks.ex5": [("what goes into the all-reduce, not what is sent", 101770 * 4),
                       ("parameter count, not bytes", 101770), ("one phase only", (5 - 1) / 5 * 407080),
                       ("every worker sends everything to every other", (5 - 1) * 407080),
                       ("twice the gradients, ignoring 1/K", 2 * 407080), ("weights only", 1.6 * (784 * 128 + 128 * 10) * 4),
                       ("float64", 1.6 * 101770 * 8), ("bits", 1.6 * 101770 * 32), ("kilobytes", 651.328)],
    "frameworks.ex6": [("chance everywhere", "a"), ("generalises", "c"), ("backwards", "d"),
                       ("not an option", "e"), ("a number", 2)],
}


def _starter(ex):
    ns = {}
    exec(ex.starter_code(), ns)
    return ns[ex.answer_name]


def test_chapter_is_registered_with_six_exercises_of_all_kinds():
    assert "frameworks" in CHAPTERS
    assert [ex.id for ex in all_exercises("frameworks")] == IDS
    assert {exercise(i).kind for i in IDS} == {"function", "value", "choice", "bug"}


def test_unchanged_buggy_code_is_reported_as_not_attempted():
    result = check("frameworks.ex3", _starter(exercise("frameworks.ex3")))
    assert result.status == "not_attempted" and "buggy original" in repr(result), repr(result)


def test_references_agree_with_nnlib():
    from nnlib.interop import linear_weight
    from nnlib.distributed import average_gradients, ring_allreduce, ring_allreduce_bytes
    from nnbook.sizes import count_parameters, param_memory

    ref = {i: exercise(i).reference_function() for i in IDS}
    for case in exercise("frameworks.ex1").public_cases():
        np.testing.assert_array_equal(ref["frameworks.ex1"](*case.args), linear_weight(*case.args))
    assert ref["frameworks.ex4"]() == pytest.approx(average_gradients([[np.array(0.3)], [np.array(-0.1)]])[0])
    size = param_memory(sum(count_parameters([784, 128, 10])), "float32")
    assert size == 407080
    assert ref["frameworks.ex5"]() == pytest.approx(ring_allreduce_bytes(size, 5), rel=1e-15)
    # eq-ring-allreduce: the simulated ring sends exactly 2 (K - 1) / K of the gradient bytes
    grads = [np.full(101770, k, dtype=np.float32) for k in range(5)]
    sent = ring_allreduce(grads)["bytes_sent"]
    assert sent.tolist() == [651328] * 5 and ref["frameworks.ex5"]() == 651328


@pytest.mark.parametrize("exercise_id, answer", [
    ("frameworks.ex4", 0.1000), ("frameworks.ex4", 0.09996), ("frameworks.ex5", 651300), ("frameworks.ex5", 651328),
    ("frameworks.ex5", 6.513e5), ("frameworks.ex5", 651328.0)])
def test_value_answers_at_the_stated_precision_pass(exercise_id, answer):
    # the statements ask for 4 significant digits: any answer rounded that way is accepted
    assert check(exercise_id, answer).ok, (exercise_id, answer)


def test_the_buggy_loss_is_far_from_the_right_one():
    rng = np.random.default_rng(0)
    lab = np.eye(10)[rng.integers(10, size=32)]
    z = rng.standard_normal((32, 10))
    out = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    buggy = _from_buggy("x", "x")(lab, out)
    assert buggy > 5 * _cce(lab, out)
