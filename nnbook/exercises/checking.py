"""Running a reader's answer on an exercise's cases and judging it.

Used by :meth:`Exercise.check` in the notebook. The grader's runner uses
:func:`call_answer`, :func:`describe_exception`, :func:`normalize_choice` and
:func:`unchanged_bug` too, so that a notebook check and a grade agree.
"""
from __future__ import annotations

import contextlib
import importlib
import re
import warnings

import numpy as np

from ..i18n import gettext as _
from ..i18n import in_language
from .compare import compare, fmt_value, scalar_problem
from .core import Case, Exercise, grading_mode
from .display import CheckResult

__all__ = ["check_answer", "call_answer", "forbidden_calls", "expected_output", "describe_exception",
           "normalize_choice", "unchanged_bug", "is_blank", "refused_warning"]

_ADDRESS = re.compile(r"0x[0-9a-fA-F]{4,}")
_MAX_NOTES = 3


def is_blank(answer) -> bool:
    """A starter left as it was: ``...`` (Ellipsis) or ``None``."""
    return answer is None or answer is Ellipsis


def describe_exception(exc: BaseException, limit: int = 200) -> str:
    """``"TypeError: message"``, one line, truncated, without memory addresses."""
    try:
        msg = str(exc)
    except Exception:  # a hostile __str__
        msg = _("<message could not be printed>")
    msg = _ADDRESS.sub("0x…", " ".join(msg.split()))
    if len(msg) > limit:
        msg = msg[: limit - 1] + "…"
    name = type(exc).__name__
    return f"{name}: {msg}" if msg else name


def _fresh(args: tuple) -> tuple:
    return tuple(np.array(a, copy=True) if type(a) is np.ndarray else a for a in args)


def call_answer(fn, args: tuple):
    """Call ``fn(*copies of args)``; return ``(output, exception, warning texts)``.

    Warnings are recorded, never raised, and numpy's floating-point error
    state is the default one (overflow warns) whatever the notebook set.
    """
    with warnings.catch_warnings(record=True) as caught, np.errstate(
            over="warn", divide="warn", invalid="warn", under="ignore"):
        warnings.simplefilter("always")
        try:
            out, err = fn(*_fresh(args)), None
        except (Exception, SystemExit) as exc:
            out, err = None, exc
    texts = []
    for w in caught:
        text = f"{getattr(w.category, '__name__', 'Warning')}: {' '.join(str(w.message).split())[:150]}"
        if text not in texts:
            texts.append(text)
    return out, err, texts


def _resolve(dotted: str):
    """``(owner, attribute name)`` of a dotted name such as ``nnlib.layers.Dense.forward``."""
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            owner = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for part in parts[cut:-1]:
            owner = getattr(owner, part)
        return owner, parts[-1]
    raise ValueError(f"cannot resolve {dotted!r}")


def _refusal_message(dotted: str) -> str:
    return _("this exercise asks you to write it yourself: {name} cannot be called here").format(name=dotted)


def _refusal_code(name: str, dotted: str):
    """The code of ``def name(*args, **kwargs)`` that raises ``PermissionError``."""
    ns = {}
    exec(compile(f"def {name}(*args, **kwargs):\n    raise PermissionError({_refusal_message(dotted)!r})\n",
                 f"<refused {dotted}>", "exec"), ns)
    return ns[name].__code__


@contextlib.contextmanager
def forbidden_calls(ex: Exercise):
    """While the block runs, the library functions in ``ex.forbids`` raise ``PermissionError``.

    A plain function gets the refusal's code object, so every reference to
    it (``from nnlib import sigmoid`` included) refuses; a method is replaced
    on its class. Everything is restored afterwards.
    """
    undo = []
    try:
        for dotted in ex.forbids:
            owner, name = _resolve(dotted)
            fn = getattr(owner, name)
            if isinstance(owner, type) or getattr(fn, "__closure__", None) or not hasattr(fn, "__code__"):
                def refused(*args, _dotted=dotted, **kwargs):
                    raise PermissionError(_refusal_message(_dotted))
                undo.append(lambda owner=owner, name=name, old=owner.__dict__[name]: setattr(owner, name, old))
                setattr(owner, name, refused)
            else:
                undo.append(lambda fn=fn, old=fn.__code__: setattr(fn, "__code__", old))
                fn.__code__ = _refusal_code(fn.__code__.co_name, dotted)
        yield
    finally:
        for step in reversed(undo):
            step()


def expected_output(ex: Exercise, case: Case | None = None):
    """The reference answer for a case (or for a value/choice exercise)."""
    ref = ex.reference_function()
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return ref(*_fresh(case.args)) if case is not None else ref()


def unchanged_bug(ex: Exercise, fn) -> bool:
    """True if ``fn`` compiles to the very buggy function of a bug exercise.

    The buggy source is compiled alone and as in the starter cell (after its
    imports: Python compiles ``np.dot(...)`` differently when ``np`` is
    imported in the same cell).
    """
    code = getattr(fn, "__code__", None)
    if ex.kind != "bug" or type(code).__name__ != "code":
        return False
    mine = (code.co_code, code.co_names, code.co_varnames, code.co_consts)
    with in_language("en"):  # its comments do not count
        starter = ex.starter_code()
    for source in (ex.buggy, starter):
        for const in compile(source, "<buggy>", "exec").co_consts:
            if type(const) is type(code) and const.co_name == ex.answer_name and mine == (
                    const.co_code, const.co_names, const.co_varnames, const.co_consts):
                return True
    return False


def refused_warning(ex: Exercise, warns: list) -> str:
    """The first warning text that ``ex.refuse_warnings`` turns into a failure, or ``""``."""
    for w in warns:
        if any(k in w for k in ex.refuse_warnings):
            return w
    return ""


def normalize_choice(answer, options: dict):
    """``(key, None)`` for a valid choice such as ``"a"``, ``"(A)"`` or ``True``; else ``(None, problem)``."""
    keys = {str(k).lower(): k for k in options}
    listed = ", ".join(repr(k) for k in options)
    if type(answer) is bool and str(answer).lower() in keys:
        return keys[str(answer).lower()], None
    if type(answer) is not str:
        return None, _("expected one of {keys} as a string, got {type}").format(keys=listed, type=type(answer).__name__)
    key = answer.strip().strip("()").strip().lower()
    if key not in keys:
        return None, _("{answer!r} is not one of the options {keys}").format(answer=answer[:20], keys=listed)
    return keys[key], None


def check_answer(ex: Exercise, answer) -> CheckResult:
    """Judge ``answer`` for ``ex`` on its public cases, in the reader's language."""
    if grading_mode():
        return CheckResult(ex.id, "grading")
    with in_language():
        return _judge(ex, answer)


def _judge(ex: Exercise, answer) -> CheckResult:
    if is_blank(answer):
        return CheckResult(ex.id, "not_attempted")
    if ex.runs_code:
        return _check_function(ex, answer)
    expected = expected_output(ex)
    if ex.kind == "value":
        problem = scalar_problem(answer)
        if problem is None and compare(expected, answer, output="scalar", rtol=ex.rtol,
                                       atol=ex.atol, show_values=False):
            problem = _("{value} is not the right value").format(value=fmt_value(answer))  # as given: 1482.5, not 1482
    else:
        key, problem = normalize_choice(answer, ex.options)
        if problem is None and key != expected:
            problem = _("({key}) is not the right choice").format(key=key)
    return CheckResult(ex.id, "incorrect", problem) if problem else CheckResult(ex.id, "correct")


def _check_function(ex: Exercise, fn) -> CheckResult:
    if not callable(fn):
        return CheckResult(ex.id, "incorrect", _("{name} should be a function, got {type}").format(
            name=ex.answer_name, type=type(fn).__name__))
    if unchanged_bug(ex, fn):
        return CheckResult(ex.id, "not_attempted", _("{name} is still the buggy original").format(name=ex.answer_name))
    cases = ex.public_cases()
    passed, first_failure, notes, seen = 0, "", [], set()
    for i, case in enumerate(cases):
        with forbidden_calls(ex):
            out, err, warns = call_answer(fn, case.args)
        for w in warns:
            if w not in seen and len(notes) < _MAX_NOTES and w != refused_warning(ex, [w]):
                seen.add(w)
                notes.append(_("your code emitted {warning} (case '{case}'); this does not count against you").format(
                    warning=w, case=_(case.name)))
        refused = refused_warning(ex, warns)
        if err is not None:
            if i == 0 and isinstance(err, NotImplementedError):
                return CheckResult(ex.id, "not_attempted")
            problem = _("your function raised {error}").format(error=describe_exception(err))
        elif refused:
            problem = _("your code emitted {warning}, which this exercise does not allow").format(warning=refused)
        else:
            rtol, atol = ex.tolerances(case)
            problem = compare(expected_output(ex, case), out, output=ex.output, rtol=rtol, atol=atol)
        if problem is None:
            passed += 1
        elif not first_failure:
            first_failure = _("case '{case}': {problem}").format(case=_(case.name), problem=problem)
    status = "correct" if passed == len(cases) else "incorrect"
    return CheckResult(ex.id, status, first_failure, passed, len(cases), tuple(notes))
