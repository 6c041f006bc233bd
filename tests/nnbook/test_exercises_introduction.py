"""Exercises introduction.ex1-ex7: references pass, wrong answers fail, answers agree with nnbook.sizes."""
import numpy as np
import pytest

from nnbook.exercises import CHAPTERS, all_exercises, check, exercise
from nnbook.exercises.checking import unchanged_bug
from nnbook.sizes import count_parameters, param_memory, training_flops

IDS = [f"introduction.ex{i}" for i in range(1, 8)]
BUGGY = exercise("introduction.ex6").buggy


def _from_buggy(old, new):
    ns = {}
    exec(BUGGY.replace(old, new), ns)
    return ns["count_layer_params"]


def _pairs(widths):
    return zip(widths[:-1], widths[1:])


WRONG_ANSWERS = {
    "introduction.ex1": [
        ("biases forgotten", lambda w: sum(a * b for a, b in _pairs(w))),
        ("input neurons given biases", lambda w: sum(a * b for a, b in _pairs(w)) + sum(w)),
        ("output layer's biases forgotten (off by one layer)", lambda w: sum(a * b for a, b in _pairs(w)) + sum(w[1:-1])),
        ("bias per input unit", lambda w: sum(a * b + a for a, b in _pairs(w))),
        ("neurons counted instead of parameters", lambda w: sum(w)),
        ("(weights, biases) tuple instead of the total", lambda w: count_parameters(w)),
        ("an array of shape (1,)", lambda w: np.array([sum(count_parameters(w))])),
        ("a string", lambda w: str(sum(count_parameters(w)))),
    ],
    "introduction.ex2": [
        ("weights only", 784 * 128 + 128 * 10), ("input biases too", 101770 + 784),
        ("off by one", 101769), ("one layer only", 784 * 128 + 128), ("a string", "101770"),
        ("a boolean", True), ("an array of shape (1,)", np.array([101770.0])),
    ],
    "introduction.ex3": [
        ("gigabytes instead of bytes", 14), ("16 bytes per parameter (bits read as bytes)", 7e9 * 16),
        ("float32", 7e9 * 4), ("megabytes", 14e3), ("GiB", 14e9 / 2**30), ("one byte (int8)", 7e9),
        ("Adam training memory", 7e9 * 16.0 + 1),
    ],
    "introduction.ex4": [("memory", "a"), ("forward only", "b"), ("days", "(d)"), ("not an option", "e"),
                         ("a number", 6), ("a boolean", True)],
    "introduction.ex5": [
        ("forward pass only (2ND)", 2 * 70e9 * 1.4e12), ("N times D", 70e9 * 1.4e12),
        ("tokens off by 1000", 6 * 70e9 * 1.4e9), ("parameters off by 10", 6 * 7e9 * 1.4e12),
        ("3ND", 3 * 70e9 * 1.4e12), ("a string", "5.88e23"),
    ],
    "introduction.ex6": [
        ("biases forgotten", _from_buggy("+ n_in     #", "     #")),
        ("both ends given biases", _from_buggy("+ n_in     #", "+ n_in + n_out     #")),
        ("one bias too few per layer", _from_buggy("+ n_in     #", "+ n_out - 1     #")),
        ("the bug kept, rewritten", lambda layers: sum(i * o + i for i, o in layers)),
        ("(weights, biases) tuple", lambda layers: (sum(i * o for i, o in layers), sum(o for _, o in layers))),
    ],
    "introduction.ex7": [("bigger is better", "a"), ("less compute", "c"), ("data only for small", "(d)"),
                         ("not an option", "e"), ("a number", 2)],
}


def _starter(ex):
    ns = {}
    exec(ex.starter_code(), ns)
    return ns[ex.answer_name]


def test_chapter_is_registered_with_seven_exercises_of_all_kinds():
    assert "introduction" in CHAPTERS
    assert [ex.id for ex in all_exercises("introduction")] == IDS
    assert {exercise(i).kind for i in IDS} == {"function", "value", "choice", "bug"}


def test_references_agree_with_nnlib_sizes():
    count = exercise("introduction.ex1").reference_function()
    for case in exercise("introduction.ex1").public_cases() + exercise("introduction.ex1").hidden_cases("s"):
        assert count(*case.args) == sum(count_parameters(case.args[0]))
    ref = {i: exercise(i).reference_function() for i in IDS}
    assert ref["introduction.ex2"]() == sum(count_parameters([784, 128, 10])) == 101770
    assert ref["introduction.ex3"]() == param_memory(7e9, "bfloat16") == 14e9
    assert ref["introduction.ex5"]() == pytest.approx(training_flops(70e9, 1.4e12), rel=1e-12)
    fixed = ref["introduction.ex6"]
    for case in exercise("introduction.ex6").public_cases():
        widths = [case.args[0][0][0]] + [o for _, o in case.args[0]]
        assert fixed(*case.args) == sum(count_parameters(widths))


def test_buggy_counter_gives_the_number_the_statement_quotes():
    ns = {}
    exec(BUGGY, ns)
    assert ns["count_layer_params"](((784, 128), (128, 10))) == 102544
    assert "102,544" in exercise("introduction.ex6").statement


def test_bug_exercise_recognises_the_original_but_not_the_fix():
    ex = exercise("introduction.ex6")
    assert unchanged_bug(ex, _starter(ex))
    fix = _from_buggy("+ n_in     #", "+ n_out     #")
    assert not unchanged_bug(ex, fix) and check("introduction.ex6", fix).ok


def test_messages_are_deterministic_and_name_the_case():
    assert repr(check("introduction.ex2", 101632)) == "❌ introduction.ex2: not yet — 101632 is not the right value"
    msg = repr(check("introduction.ex1", lambda w: sum(a * b for a, b in _pairs(w))))
    assert msg.startswith("❌ introduction.ex1: not yet (0/5 cases) — case 'normal': expected ")
    assert msg == repr(check("introduction.ex1", lambda w: sum(a * b for a, b in _pairs(w))))
    assert "expected a number, got tuple" in repr(check("introduction.ex1", lambda w: count_parameters(w)))


@pytest.mark.parametrize("answer", [6e23, 5.9e23, 5.88e23, 6 * 70e9 * 1.4e12, 5.7e23, 6.1e23, np.float32(5.88e23)])
def test_ex5_accepts_any_answer_within_the_stated_5_percent(answer):
    assert check("introduction.ex5", answer).ok, f"{answer} is within 5% of 5.88e23 and must be accepted"


@pytest.mark.parametrize("answer", [5e23, 3e23, 7e23, 6.5e23, 5.5e23, 2 * 70e9 * 1.4e12, 5.88e22])
def test_ex5_rejects_answers_more_than_5_percent_off(answer):
    assert not check("introduction.ex5", answer).ok, f"{answer} is more than 5% off 5.88e23 and must be rejected"


def test_ex5_statement_states_the_precision_its_check_uses():
    ex = exercise("introduction.ex5")
    assert ex.rtol == 0.05 and ex.atol == 0.0
    assert "One significant digit is enough" in ex.statement and "within 5%" in ex.statement
