"""Assignments that instructors write themselves: the notebook API and the record of a question.

An assignment is one notebook with marked regions (the markup, ``nnbook
release`` and ``nnbook grade --assignment`` are in
:mod:`nnbook.grading.assignment`). Its test cells list input cases::

    from nnbook.assignments import case
    cases = [case("zeros", np.zeros(3)), case("large inputs", np.array([-800.0, 800.0]), weight=2)]

and, in the students' copy, ``nnbook release`` adds under them a call to
:func:`check_cases` holding what the instructor's solution returns on those
cases, so that students can run the public cases as the grader runs them.

:class:`Question` is what the grader knows about one graded question. The
runner, inside the sandbox, is sent :meth:`Question.runner_spec` only: never
the reference answer, never the hidden cases' names.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .exercises.checking import call_answer, describe_exception, is_blank
from .exercises.compare import compare
from .exercises.core import Case, _seed, grading_mode
from .exercises.display import CheckResult
from .i18n import gettext as _
from .i18n import in_language

__all__ = ["case", "check_cases", "Question", "QUESTION_KINDS"]

#: ``function``: the answer is called on each case; ``value``: the answer is the value itself (one case).
QUESTION_KINDS = ("function", "value")
_ID = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")


def case(name: str, *args, weight: float = 1) -> Case:
    """One input case of a question: a name shown in messages, the answer's arguments, and a weight.

    Arguments may be ndarrays, Python numbers or strings, or tuples and lists
    of them. A case of weight 2 counts twice as much in partial credit.
    """
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"a case needs a name (a non-empty string), got {name!r}")
    if type(weight) not in (int, float) or not math.isfinite(weight) or weight <= 0:
        raise ValueError(f"case {name!r}: the weight must be a positive number, got {weight!r}")
    return Case(name, tuple(args), weight)


def _tolerances(case: Case, rtol, atol) -> tuple:
    """``(rtol, atol)``: the declared ones, else the book's defaults (looser when an input is float32)."""
    f32 = any(getattr(a, "dtype", None) == np.float32 for a in case.args)
    return (rtol if rtol is not None else (1e-5 if f32 else 1e-7),
            atol if atol is not None else (1e-6 if f32 else 1e-10))


def check_cases(question_id: str, answer, cases, expected, *, rtol=None, atol=None) -> CheckResult:
    """Run ``answer`` on ``cases`` and compare each output with ``expected`` (same order).

    Called by the lines that ``nnbook release`` adds to each public test
    cell; the comparison is the grader's (type, shape, dtype, then values).
    Every failing case is listed.
    """
    if grading_mode():
        return CheckResult(question_id, "grading")
    cases, expected = list(cases), list(expected)
    if len(cases) != len(expected):
        raise ValueError(f"{question_id}: {len(cases)} cases but {len(expected)} expected outputs")
    with in_language():
        return _check_cases(question_id, answer, cases, expected, rtol, atol)


def _check_cases(question_id, answer, cases, expected, rtol, atol) -> CheckResult:
    if is_blank(answer):
        return CheckResult(question_id, "not_attempted")
    if not callable(answer):
        return CheckResult(question_id, "incorrect", _("the answer should be a function, got {type}").format(
            type=type(answer).__name__))
    passed, failures = 0, []
    for i, (c, want) in enumerate(zip(cases, expected)):
        out, err, _warnings = call_answer(answer, c.args)
        if err is not None:
            if i == 0 and isinstance(err, NotImplementedError):
                return CheckResult(question_id, "not_attempted")
            problem = _("your function raised {error}").format(error=describe_exception(err))
        else:
            r, a = _tolerances(c, rtol, atol)
            problem = compare(want, out, output="array" if type(want) is np.ndarray else "scalar", rtol=r, atol=a)
        if problem is None:
            passed += 1
        else:
            failures.append(_("case '{case}': {problem}").format(case=c.name, problem=problem))
    if not failures:
        return CheckResult(question_id, "correct", "", passed, len(cases))
    listed = _("failing:") + "".join(f"\n    - {f}" for f in failures)
    return CheckResult(question_id, "incorrect", listed, passed, len(cases))


@dataclass(frozen=True, eq=False)
class Question:
    """One graded question of an assignment (the grader's counterpart of a book :class:`~nnbook.exercises.Exercise`).

    Parameters
    ----------
    id : str
        ``"<assignment>.<question>"``, e.g. ``"logistic.q1"``; the gradebook uses it.
    answer_name : str
        The name the student's answer is bound to.
    points : float
    kind : {"function", "value"}
        A function is called on every case; a value is compared as it is.
    output : {"array", "scalar"}
        What the answer returns (or is): exactly a ``numpy.ndarray``, or a real number.
    rtol, atol : float, optional
        Declared tolerances; by default the book's (``1e-7``/``1e-10``, or
        ``1e-5``/``1e-6`` when an input is float32).
    reference : callable or value
        The instructor's answer (grader only).
    cases : tuple of Case
        The public cases (those of the notebook's test cells).
    hidden : tuple of Case, or callable ``rng -> list of Case``
        The hidden cases (grader only); a callable is drawn per student from
        the grader's secret seed.
    """

    id: str
    answer_name: str
    points: float = 1
    kind: str = "function"
    output: str = "array"
    rtol: float | None = None
    atol: float | None = None
    reference: object = None
    cases: tuple = ()
    hidden: tuple | Callable = ()

    forbids = ()            # what the runner and the grader read of a book exercise, too
    refuse_warnings = ()
    options = None

    def __post_init__(self):
        if not _ID.match(self.id):
            raise ValueError(f"question id {self.id!r} must look like 'assignment.q1' (lower case)")
        if self.kind not in QUESTION_KINDS:
            raise ValueError(f"{self.id}: kind {self.kind!r} is not one of {QUESTION_KINDS}")
        if self.output not in ("array", "scalar"):
            raise ValueError(f"{self.id}: output must be 'array' or 'scalar', got {self.output!r}")

    @property
    def runs_code(self) -> bool:
        """True: a question is always evaluated on cases (a value on one case, itself)."""
        return True

    def public_cases(self) -> list:
        if self.kind == "value":
            return [Case("value", ())]
        return list(self.cases)

    def hidden_cases(self, secret: str, student: str = "") -> list:
        """The hidden cases, named ``hidden: ...``; drawn per student when ``hidden`` is a function."""
        if self.kind == "value":
            return []
        cases = self.hidden(np.random.default_rng(_seed(secret, student, self.id))) if callable(self.hidden) \
            else self.hidden
        return [Case("hidden: " + c.name, tuple(c.args), c.weight) for c in cases]

    def reference_function(self) -> Callable:
        """The instructor's answer as a function of the case's arguments (none for a value)."""
        if self.kind == "value":
            return lambda: self.reference
        return self.reference

    def tolerances(self, case: Case | None) -> tuple:
        return _tolerances(case or Case("", ()), self.rtol, self.atol)

    def runner_spec(self) -> dict:
        """What the runner needs to evaluate the answer: nothing it could learn the answer from."""
        return {"answer_name": self.answer_name, "kind": self.kind, "output": self.output}

    @classmethod
    def from_runner_spec(cls, question_id: str, spec: dict) -> "Question":
        return cls(question_id, spec["answer_name"], kind=spec["kind"], output=spec["output"])

    def __repr__(self) -> str:
        return f"Question({self.id!r}, kind={self.kind!r}, points={self.points:g})"
