"""The exercise framework: every registered exercise accepts its reference and refuses wrong answers.

The generic tests below are parametrised over the whole registry (every
chapter). The neuron chapter's wrong answers are here; other chapters keep
theirs in ``WRONG_ANSWERS`` of ``tests/nnbook/test_exercises_<chapter>.py`` (at least
three each: off by one, wrong sign, wrong shape/axis, a lying ndarray
subclass ...), as a list of ``(label, answer)`` pairs or a dict
``{label: answer}``; they are all run here, and a test checks every exercise
has at least three. The chapter files hold only their chapter's own tests.
"""
import importlib
import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from nnbook.exercises import CHAPTERS, all_exercises, check, exercise, hint, solution
from nnbook.exercises.checking import is_blank, unchanged_bug
from nnbook.exercises.compare import compare, digits_to_tell_apart, fmt_array, fmt_number, fmt_value, type_problem


def _sig(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


class LyingArray(np.ndarray):
    """An ndarray subclass claiming to equal everything."""

    def __eq__(self, other):
        return np.ones(np.shape(self), dtype=bool)

    __ne__ = lambda self, other: np.zeros(np.shape(self), dtype=bool)  # noqa: E731


class AlwaysEqual:
    def __eq__(self, other):
        return True

    def __float__(self):
        return 0.5

    def __array__(self, dtype=None, copy=None):
        return np.zeros(1)


class LyingFloat(float):
    def __eq__(self, other):
        return True

    __hash__ = float.__hash__


class LyingStr(str):
    def __eq__(self, other):
        return True

    __hash__ = str.__hash__


def _fix(buggy: str, old: str, new: str):
    ns = {"np": np, "sigmoid": _sig}
    exec(buggy.replace(old, new), ns)
    return ns["forward"]


BUGGY_FORWARD = exercise("neuron.ex5").buggy

WRONG_ANSWERS = {
    "neuron.ex1": [
        ("no activation", lambda x, w, b: float(np.dot(w, x) + b)),
        ("wrong sign", lambda x, w, b: float(_sig(-(np.dot(w, x) + b)))),
        ("bias ignored", lambda x, w, b: float(_sig(np.dot(w, x)))),
        ("not summed (wrong axis)", lambda x, w, b: _sig(w * x + b)),
        ("shape (1,) instead of a number", lambda x, w, b: np.array([_sig(np.dot(w, x) + b)])),
        ("overflows to nan", lambda x, w, b: np.exp(np.dot(w, x) + b) / (1 + np.exp(np.dot(w, x) + b))),
        ("lying float subclass", lambda x, w, b: LyingFloat(0.0)),
        ("lying ndarray subclass", lambda x, w, b: np.zeros(()).view(LyingArray)),
        ("always-equal object", lambda x, w, b: AlwaysEqual()),
        ("a boolean", lambda x, w, b: True),
    ],
    "neuron.ex2": [
        ("no bias", lambda X, W, b: X @ W),
        ("bias subtracted", lambda X, W, b: X @ W - b),
        ("transposed", lambda X, W, b: (X @ W + b).T),
        ("squeezed (batch of one)", lambda X, W, b: np.squeeze(X @ W + b)),
        ("float64 promotion", lambda X, W, b: (X @ W + b).astype(np.float64)),
        ("summed over the batch axis", lambda X, W, b: (X[:, :, None] * W[None]).sum(axis=0) + b),
        ("an activation not asked for", lambda X, W, b: _sig(X @ W + b)),
        ("a list", lambda X, W, b: (X @ W + b).tolist()),
        ("lying ndarray subclass", lambda X, W, b: np.zeros((len(X), W.shape[1]), X.dtype).view(LyingArray)),
        ("right values in a subclass", lambda X, W, b: (X @ W + b).view(LyingArray)),
        ("always-equal object", lambda X, W, b: AlwaysEqual()),
    ],
    "neuron.ex3": [
        ("weights only", 784 * 16), ("off by one", 784 * 16 + 15), ("plus one", 784 * 16 + 17),
        ("inputs plus units", 784 + 16), ("a string", "12560"), ("a boolean", True),
        ("an array of shape (1,)", np.array([12560.0])), ("lying float subclass", LyingFloat(0.0)),
        ("always-equal object", AlwaysEqual()),
    ],
    "neuron.ex4": [
        ("a circle", "b"), ("a point", "c"), ("the plane", "(d)"), ("not an option", "e"),
        ("a number", 1), ("a boolean", True), ("lying str subclass", LyingStr("b")),
        ("always-equal object", AlwaysEqual()),
    ],
    "neuron.ex5": [
        ("the bug kept, rewritten", lambda X, W1, b1, W2, b2: _sig((_sig(X @ W1) + b1) @ W2 + b2)),
        ("no output activation", _fix(BUGGY_FORWARD, "return sigmoid(Z2)", "return Z2")),
        ("no hidden activation", _fix(BUGGY_FORWARD, "A1 = sigmoid(Z1) + b1", "A1 = Z1 + b1")),
        ("b2 after the activation", _fix(BUGGY_FORWARD.replace("A1 = sigmoid(Z1) + b1", "A1 = sigmoid(Z1 + b1)"),
                                          "Z2 = np.dot(A1, W2) + b2\n    return sigmoid(Z2)",
                                          "return sigmoid(np.dot(A1, W2)) + b2")),
        ("wrong sign", lambda X, W1, b1, W2, b2: _sig(-(_sig(X @ W1 + b1) @ W2 + b2))),
        ("shape (N,) instead of (N, 1)", lambda X, W1, b1, W2, b2: _sig(_sig(X @ W1 + b1) @ W2 + b2).ravel()),
        ("(in, out) layout mixed up", lambda X, W1, b1, W2, b2:
            _sig(np.dot(W2.T, _sig(np.dot(W1.T, X.T) + b1[:, None])) + b2[:, None])),
        ("float64 promotion", lambda X, W1, b1, W2, b2: _sig(_sig(X @ W1 + b1) @ W2 + b2).astype(np.float64)),
        ("lying ndarray subclass", lambda X, W1, b1, W2, b2:
            np.zeros((len(X), W2.shape[1]), X.dtype).view(LyingArray)),
        ("always-equal object", lambda X, W1, b1, W2, b2: AlwaysEqual()),
    ],
}

EXERCISES = all_exercises()
IDS = [ex.id for ex in EXERCISES]


def all_wrong_answers() -> dict:
    """``{exercise id: [(label, answer), ...]}`` from this file and every chapter's test file."""
    wrong = {ex_id: list(answers) for ex_id, answers in WRONG_ANSWERS.items()}
    for path in sorted(Path(__file__).parent.glob("test_exercises_*.py")):
        module = importlib.import_module(path.stem)
        for ex_id, answers in module.WRONG_ANSWERS.items():
            wrong.setdefault(ex_id, []).extend(answers.items() if isinstance(answers, dict) else answers)
    return wrong


ALL_WRONG = all_wrong_answers()
WRONG = [(ex_id, label, ans) for ex_id, answers in ALL_WRONG.items() for label, ans in answers]


def reference_answer(ex):
    ref = ex.reference_function()
    return ref if ex.runs_code else ref()


def starter_answer(ex):
    ns = {}
    exec(ex.starter_code(), ns)
    return ns[ex.answer_name]


def test_registry_holds_the_neuron_chapter_with_stable_ids():
    assert CHAPTERS.index("neuron") == 1, "chapters are listed in book order"
    neuron = [i for i in IDS if i.startswith("neuron.")]
    assert neuron == [f"neuron.ex{i}" for i in range(1, 6)]
    assert {exercise(i).kind for i in neuron} == {"function", "value", "choice", "bug"}
    with pytest.raises(KeyError, match="did you mean neuron.ex"):
        exercise("neuron.exl")


@pytest.mark.parametrize("ex_id", IDS)
def test_every_exercise_has_three_wrong_answers_and_levelled_hints(ex_id):
    assert len(ALL_WRONG.get(ex_id, [])) >= 3, (
        f"add at least three wrong answers for {ex_id} to WRONG_ANSWERS in "
        f"tests/nnbook/test_exercises_{ex_id.split('.')[0]}.py")
    ex = exercise(ex_id)
    assert len(ex.hints) >= 2 and hint(ex_id, len(ex.hints)).text == ex.hints[-1]


@pytest.mark.parametrize("ex_id", IDS)
def test_reader_cells_are_statement_starter_check_and_name_the_exercise(ex_id):
    from nnbook.exercises.cells import exercise_cells

    cells = exercise_cells(ex_id)
    assert [c.metadata["nnbook"]["role"] for c in cells] == ["statement", "starter", "check"]
    assert all(c.metadata["nnbook"]["exercise"] == ex_id for c in cells)


@pytest.mark.parametrize("ex_id", IDS)
def test_reference_solution_passes_its_own_check(ex_id):
    ex = exercise(ex_id)
    result = check(ex_id, reference_answer(ex))
    assert result.ok, repr(result)
    assert result.passed == result.total and not result.notes


@pytest.mark.parametrize("ex_id,label,answer", WRONG, ids=[f"{i}-{lab}" for i, lab, _ in WRONG])
def test_wrong_answer_fails(ex_id, label, answer):
    result = check(ex_id, answer)
    assert result.status == "incorrect", f"{label}: {result!r}"
    assert not result and repr(result).startswith(f"❌ {ex_id}: not yet")


@pytest.mark.parametrize("ex_id", IDS)
def test_untouched_starter_is_not_attempted(ex_id):
    ex = exercise(ex_id)
    if not ex.runs_code:
        assert is_blank(starter_answer(ex))
    for blank in (starter_answer(ex), ..., None):
        result = check(ex_id, blank)
        assert result.status == "not_attempted", repr(result)
        assert repr(result).startswith(f"⏳ {ex_id}: not attempted yet")


def test_bug_exercise_recognises_the_unchanged_original_but_not_a_fix():
    ex = exercise("neuron.ex5")
    assert unchanged_bug(ex, starter_answer(ex))
    assert not unchanged_bug(ex, _fix(BUGGY_FORWARD, "A1 = sigmoid(Z1) + b1", "A1 = sigmoid(Z1 + b1)"))
    assert check("neuron.ex5", _fix(BUGGY_FORWARD, "A1 = sigmoid(Z1) + b1", "A1 = sigmoid(Z1 + b1)")).ok


def test_neuron_function_exercises_cover_normal_large_batch_of_one_and_float32():
    for ex in all_exercises("neuron"):
        if ex.runs_code:
            names = [c.name for c in ex.public_cases()]
            assert len(names) >= 4 and "normal" in names and "float32" in names, names
            assert any("large" in n for n in names) and any("one" in n or "D = 1" in n for n in names), names


@pytest.mark.parametrize("ex_id", [ex.id for ex in EXERCISES if ex.runs_code])
def test_function_exercises_with_float_inputs_have_a_float32_case(ex_id):
    cases = exercise(ex_id).public_cases()
    dtypes = {a.dtype for c in cases for a in c.args if type(a) is np.ndarray and a.dtype.kind == "f"}
    assert len(cases) >= 3
    assert not dtypes or np.dtype(np.float32) in dtypes, f"{ex_id}: add a float32 case (dtypes {dtypes})"


@pytest.mark.parametrize("ex_id", [ex.id for ex in EXERCISES if ex.runs_code])
def test_exception_in_answer_is_reported_with_type_message_and_case(ex_id):
    def broken(*args):
        raise ValueError("shapes do not match")
    result = check(ex_id, broken)
    first = exercise(ex_id).public_cases()[0].name
    assert result.status == "incorrect"
    assert f"case '{first}': your function raised ValueError: shapes do not match" in repr(result)
    assert "Traceback" not in repr(result)


def test_messages_name_the_case_and_compare_shapes_first():
    assert repr(check("neuron.ex2", lambda X, W, b: np.squeeze(X @ W + b))) == (
        "❌ neuron.ex2: not yet (3/4 cases) — case 'batch of one': expected shape (1, 3), got (3,)")
    assert repr(check("neuron.ex1", exercise("neuron.ex1").reference_function())) == (
        "✅ neuron.ex1: correct (5/5 cases)")
    assert repr(check("neuron.ex3", 784 * 16)) == "❌ neuron.ex3: not yet — 12544 is not the right value"
    lying = repr(check("neuron.ex2", lambda X, W, b: (X @ W + b).view(LyingArray)))
    assert "LyingArray (a subclass of numpy.ndarray)" in lying


def test_float32_inputs_must_give_float32_outputs():
    result = check("neuron.ex2", lambda X, W, b: (X @ W + b).astype(np.float64))
    assert result.passed == 3
    assert "case 'float32': expected dtype float32, got float64" in repr(result)


def test_value_mismatch_prints_the_answer_as_given_and_the_expected_value_to_four_digits_or_more():
    msg = compare(np.array([[0.123456, 2.0]]), np.array([[0.123456, 2.5]]))
    assert msg.splitlines()[0] == "values differ at 1 of 2 entries; first at index (0, 1): expected 2, got 2.5"
    assert "expected [[0.1235, 2]]" in msg and "got      [[0.123456, 2.5]]" in msg
    assert fmt_number(12560.0) == "12560" and fmt_number(3.14159e-5) == "3.142e-05"
    with np.printoptions(precision=1, linewidth=20):
        assert fmt_array(np.array([1 / 3, 2 / 3])) == "[0.3333, 0.6667]"
        assert fmt_array(np.array([1 / 3, 2.5]), digits=None) == "[0.3333333333333333, 2.5]"


@pytest.mark.parametrize("answer, shown", [
    (1482.5, "1482.5"), (1482, "1482"), (6e23, "6e+23"), (5.9e23, "5.9e+23"), (0.1 + 0.2, "0.30000000000000004"),
    (np.float32(0.1), "0.1"), (np.float64(2.0526), "2.0526"), (np.array(1482.5), "1482.5"),
    (np.array(np.float32(1482.25)), "1482.25"), (np.int8(-3), "-3"), (10**20, "100000000000000000000"),
    (9.54e-07, "9.54e-07"), (float("inf"), "inf"), (float("nan"), "nan"),
])
def test_fmt_value_prints_a_number_exactly_as_given(answer, shown):
    assert fmt_value(answer) == shown
    value = answer[()] if type(answer) is np.ndarray else answer
    if np.isfinite(float(value)):  # the text reads back to the very same number, in the answer's own type
        assert type(value)(shown) == value


def test_a_wrong_value_answer_is_printed_as_given_not_rounded():
    # neuron.ex3 expects 12560; the example was "1482 is not the right value" for 1482.5
    for answer, shown in [(12544.5, "12544.5"), (np.float32(12560.25), "12560.25"), (np.array(1.25e4), "12500.0"),
                          (12561, "12561")]:
        assert repr(check("neuron.ex3", answer)) == f"❌ neuron.ex3: not yet — {shown} is not the right value"


def test_a_half_off_count_is_printed_with_its_half():
    # digits.ex4 asks for a count (1482 when this was written); an answer half a unit off used to print rounded
    expected = exercise("digits.ex4").reference_function()()
    answer = float(expected) + 0.5
    assert repr(check("digits.ex4", answer)).endswith(f"— {answer!r} is not the right value")
    assert repr(answer).endswith(".5")


def test_a_wrong_scalar_from_a_function_is_printed_as_given():
    ref = exercise("neuron.ex1").reference_function()
    case = exercise("neuron.ex1").public_cases()[0]
    expected = float(ref(*case.args))
    wrong = expected * (1 + 3e-6)  # wrong at rtol 1e-7, equal to 4 significant digits
    result = repr(check("neuron.ex1", lambda x, w, b: wrong))
    shown_expected = fmt_number(expected, digits_to_tell_apart(expected, wrong))
    assert f"case '{case.name}': expected {shown_expected}, got {wrong!r}" in result, result
    assert shown_expected != fmt_number(wrong, digits_to_tell_apart(expected, wrong)), "the two must print apart"


def test_array_messages_print_the_answers_entries_as_given_in_its_own_dtype():
    e = np.array([0.25, 1 / 3, 2.0], dtype=np.float32)
    g = np.array([0.25, np.float32(1 / 3) + np.float32(1e-4), 2.0], dtype=np.float32)
    msg = compare(e, g, rtol=1e-6, atol=0)
    first, exp_line, got_line = msg.splitlines()
    assert first == f"values differ at 1 of 3 entries; first at index (1,): expected 0.3333, got {str(g[1])}"
    assert str(g[1]) == "0.33343333" and got_line == f"    got      [0.25, {str(g[1])}, 2.0]"
    assert exp_line == "    expected [0.25, 0.3333, 2]"
    # an answer right to 4 digits but not to the tolerance: the expected value gets the digits to show it
    msg = compare(np.array([1.23456789]), np.array([1.2346]), rtol=1e-7)
    assert msg.splitlines()[0].endswith("expected 1.23457, got 1.2346")
    assert digits_to_tell_apart(1.23456789, 1.2346) == 6 and digits_to_tell_apart(1.0, 2.0) == 4


def test_comparison_never_calls_the_answers_eq_and_refuses_odd_dtypes():
    assert "subclass" in type_problem(np.zeros(2).view(LyingArray), "array")
    assert type_problem(AlwaysEqual(), "array").startswith("expected a numpy.ndarray, got ")
    assert "AlwaysEqual" in type_problem(AlwaysEqual(), "scalar")
    for bad in (np.zeros(2, bool), np.zeros(2, complex), np.zeros(2, object), np.zeros(2, np.float16)):
        assert "not accepted" in compare(np.zeros(2), bad)
    assert compare(np.zeros(2), np.array([0.0, np.nan])).startswith("values differ at 1 of 2")


def test_check_output_is_deterministic_text_and_html():
    answers = [exercise("neuron.ex1").reference_function(), lambda x, w, b: np.exp(np.dot(w, x)),
               lambda x, w, b: object()]
    for answer in answers:
        a, b = check("neuron.ex1", answer), check("neuron.ex1", answer)
        assert repr(a) == repr(b) and a._repr_html_() == b._repr_html_()
        assert "0x" not in repr(a) and " at 0x" not in a._repr_html_()


def test_warnings_and_stderr_do_not_fail_a_check(capsys):
    def noisy(X, W, b):
        print("debugging...", file=sys.stderr)
        warnings.warn("just saying")
        np.exp(np.full(2, 1000.0))  # RuntimeWarning: overflow
        return X @ W + b
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a reader who turned warnings into errors
        with np.errstate(all="raise"):
            result = check("neuron.ex2", noisy)
            naive = check("neuron.ex1", lambda x, w, b: 1 / (1 + np.exp(-(np.dot(w, x) + b))))
    assert result.ok and naive.ok, (result, naive)
    assert any("UserWarning: just saying" in n for n in result.notes)
    assert any("RuntimeWarning: overflow encountered in exp" in n for n in naive.notes)
    assert "does not count against you" in repr(naive)


def test_answer_that_mutates_its_inputs_is_judged_on_its_output():
    def mutating(X, W, b):
        out = X @ W + b
        X[:] = 0
        b += 1
        return out
    assert check("neuron.ex2", mutating).ok


def test_hints_and_solution_on_request():
    assert repr(hint("neuron.ex1")).startswith("💡 neuron.ex1, hint 1 of 3: ")
    assert hint("neuron.ex1", 9).level == 3 and "last hint" in repr(hint("neuron.ex1", 9))
    ex = exercise("neuron.ex2")
    assert ex.hint(2) == hint("neuron.ex2", 2)
    src = repr(solution("neuron.ex2"))
    assert "def dense_forward(X, W, b):" in src and "X @ W + b" in src
    assert "```python" in ex.solution()._repr_markdown_()
    with pytest.raises(ValueError):
        ex.hint(0)
    assert hint("neuron.ex1", np.int64(2)).level == 2  # a numpy integer is a level too
    with pytest.raises(ValueError, match="level must be a positive integer, got 1.5"):
        ex.hint(1.5)


def test_grading_mode_refuses_solutions_and_defers_checks(monkeypatch):
    monkeypatch.setenv("NNBOOK_GRADING", "1")
    with pytest.raises(PermissionError):
        solution("neuron.ex1")
    result = check("neuron.ex1", lambda x, w, b: 0.5)
    assert result.status == "grading" and repr(result).startswith("🔒 neuron.ex1")


def test_statements_show_options_and_buggy_code():
    assert "- (a) a straight line" in exercise("neuron.ex4").markdown()
    assert "A1 = sigmoid(Z1) + b1" in exercise("neuron.ex5").markdown()
    assert exercise("neuron.ex3").starter_code() == "n_params = ...  # your answer\n"


def test_cells_carry_metadata_and_run_as_a_notebook_would():
    nbformat = pytest.importorskip("nbformat")
    from nnbook.exercises.cells import exercise_cells
    for ex in EXERCISES:
        cells = exercise_cells(ex.id, solution=True)
        roles = [c.metadata["nnbook"]["role"] for c in cells]
        assert roles == ["statement", "starter", "solution", "check"]
        assert all(c.metadata["nnbook"]["exercise"] == ex.id for c in cells)
        assert cells[1].id == f"{ex.id.replace('.', '-')}-starter"
        nb = nbformat.v4.new_notebook(cells=cells)
        nbformat.validate(nb)
        ns = {}
        exec(cells[1].source, ns)
        assert eval(cells[3].source.split("\n")[-1], {**ns, "check": check}).status == "not_attempted"
        exec(cells[2].source, ns)
        assert eval(cells[3].source.split("\n")[-1], {**ns, "check": check}).ok


def test_importing_exercises_needs_only_numpy():
    code = ("import sys, nnlib; before = set(sys.modules); import nnbook.exercises; "
            "new = set(sys.modules) - before; import json; print(json.dumps(sorted(new)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    new = json.loads(out)
    allowed = set(sys.stdlib_module_names) | {"nnlib", "nnbook", "numpy"}
    assert all(m.split(".")[0] in allowed for m in new), new
    assert not any(m.startswith(("nnbook.exercises.solutions", "IPython", "nbformat", "torch", "matplotlib"))
                   for m in new), new


def test_an_answer_cannot_be_the_librarys_own_function():
    """``forbids``: while a check runs, the library function the exercise asks for refuses; afterwards it works."""
    import nnlib
    from nnbook.exercises import all_exercises, check
    from nnbook.exercises.checking import _resolve

    for ex in all_exercises():
        for dotted in ex.forbids:
            owner, name = _resolve(dotted)
            assert callable(getattr(owner, name)), dotted
    result = check("activations.ex1", nnlib.sigmoid)
    assert result.status == "incorrect" and "nnlib.activations.sigmoid cannot be called here" in result.detail
    wrapped = check("activations.ex1", lambda z: nnlib.activations.sigmoid(z))
    assert wrapped.status == "incorrect"
    assert nnlib.sigmoid(0.0) == 0.5
