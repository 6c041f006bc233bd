"""The exercise registry: ``Exercise`` objects, ``register`` and the notebook API.

An exercise is data (its statement, hints, points, test cases) plus a
reference solution that lives apart, in ``nnbook.exercises.solutions.<chapter>``,
and is imported only when a check needs it. The instructor's grader blocks
that import inside the process that runs students' notebooks.
"""
from __future__ import annotations

import difflib
import hashlib
import importlib
import inspect
import keyword
import os
import re
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..i18n import gettext as _
from ..i18n import in_language, ngettext
from .display import Hint, Solution

__all__ = ["Case", "Exercise", "KINDS", "random_normal", "register", "exercise", "all_exercises",
           "check", "hint", "solution", "grading_mode", "GRADING_ENV"]

KINDS = ("function", "value", "choice", "bug")
#: Environment variable set (to "1") by the grader in the process running a notebook.
GRADING_ENV = "NNBOOK_GRADING"
_ID = re.compile(r"^[a-z][a-z0-9_]*\.[a-z0-9_]+$")


def grading_mode() -> bool:
    """True inside the instructor's grader, where solutions are off limits."""
    return os.environ.get(GRADING_ENV) == "1"


def _seed(*parts: str) -> int:
    digest = hashlib.sha256("\0".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "little")


@dataclass(frozen=True)
class Case:
    """One input of a function exercise: a name shown in messages, the arguments, and a weight.

    The weight counts where the grader gives partial credit (``--partial-credit``,
    and always for assignments): ``points × passed weight / total weight``.
    """

    name: str
    args: tuple
    weight: float = 1


@dataclass(frozen=True, eq=False)
class Exercise:
    """One exercise of the book.

    Parameters
    ----------
    id : str
        ``"<chapter>.<name>"``, e.g. ``"neuron.ex1"``; stable (gradebooks use it).
    kind : {"function", "value", "choice", "bug"}
    title : str
    statement : str
        Markdown. For ``choice`` the options and for ``bug`` the buggy source
        are appended by :meth:`markdown`.
    answer_name : str
        The name the reader's answer is bound to in the notebook.
    hints : tuple of str
        Hints from gentle (level 1) to nearly the answer.
    points : float
    reference : str, optional
        Name of the reference in ``solutions/<chapter>.py`` (default
        ``answer_name``). For ``value`` and ``choice`` exercises it is a
        function of no argument returning the answer.
    cases : callable ``rng -> list[Case]``
        Inputs for ``function`` and ``bug`` exercises. Called with a fixed
        seed in the notebook and with secret seeds by the grader. Arguments
        are ndarrays, Python numbers or strings, or tuples/lists of them.
    output : {"array", "scalar"}
        What a ``function``/``bug`` answer returns.
    rtol, atol, rtol32, atol32 : float
        Tolerances; the ``32`` ones apply when an input is float32.
    options : dict, optional
        ``choice``: key (``"a"``, ...) -> Markdown text.
    buggy : str, optional
        ``bug``: the source of the buggy function, defining ``answer_name``.
    setup : str
        Lines put before the starter code (imports).
    refuse_warnings : tuple of str
        ``function``/``bug``: a case fails when the answer emits a warning whose
        text contains one of these (e.g. ``("overflow",)``); other warnings are
        only noted.
    forbids : tuple of str
        Library functions the exercise asks the reader to write, as dotted
        names (``"nnlib.activations.sigmoid"``, ``"nnlib.layers.Dense.forward"``):
        while the answer is checked or graded, calling one raises
        ``PermissionError``, so the answer cannot be the library's own.
    """

    id: str
    kind: str
    title: str
    statement: str
    answer_name: str
    hints: tuple = ()
    points: float = 1
    reference: str | None = None
    cases: Callable | None = None
    output: str = "array"
    rtol: float = 1e-7
    atol: float = 1e-10
    rtol32: float = 1e-5
    atol32: float = 1e-6
    options: dict | None = None
    buggy: str | None = None
    setup: str = "import numpy as np"
    refuse_warnings: tuple = ()
    forbids: tuple = ()

    def __post_init__(self):
        if not _ID.match(self.id):
            raise ValueError(f"exercise id {self.id!r} must look like 'chapter.ex1' (lower case)")
        if self.kind not in KINDS:
            raise ValueError(f"{self.id}: kind {self.kind!r} is not one of {KINDS}")
        if not self.answer_name.isidentifier() or keyword.iskeyword(self.answer_name):
            raise ValueError(f"{self.id}: answer_name {self.answer_name!r} is not a Python name")
        if self.kind in ("function", "bug") and self.cases is None:
            raise ValueError(f"{self.id}: a {self.kind} exercise needs cases=")
        if self.kind in ("function", "bug") and self.output not in ("array", "scalar"):
            raise ValueError(f"{self.id}: output must be 'array' or 'scalar', got {self.output!r}")
        if self.kind == "choice" and not self.options:
            raise ValueError(f"{self.id}: a choice exercise needs options=")
        if self.kind == "bug" and not self.buggy:
            raise ValueError(f"{self.id}: a bug exercise needs buggy= (the buggy source)")
        if not self.hints:
            raise ValueError(f"{self.id}: give at least one hint")

    # -- the parts -----------------------------------------------------
    @property
    def chapter(self) -> str:
        return self.id.split(".", 1)[0]

    @property
    def runs_code(self) -> bool:
        """True for exercises whose answer is a function run on cases."""
        return self.kind in ("function", "bug")

    def reference_function(self) -> Callable:
        """Import and return the reference solution (refused while grading)."""
        if grading_mode():
            raise PermissionError("reference solutions are not available while grading")
        module = importlib.import_module(f"{__package__}.solutions.{self.chapter}")
        return getattr(module, self.reference or self.answer_name)

    def make_cases(self, rng: np.random.Generator, prefix: str = "") -> list:
        cases = list(self.cases(rng))
        names = [c.name for c in cases]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.id}: case names must be unique, got {names}")
        return [Case(prefix + c.name, tuple(c.args), c.weight) for c in cases]

    def public_cases(self) -> list:
        """The cases the notebook's ``check`` runs (always the same)."""
        return self.make_cases(np.random.default_rng(_seed("public", self.id)))

    def hidden_cases(self, secret: str, student: str = "") -> list:
        """Cases drawn from the grader's secret seed (different per student)."""
        return self.make_cases(np.random.default_rng(_seed(secret, student, self.id)), "hidden: ")

    def tolerances(self, case: Case | None) -> tuple:
        f32 = case is not None and any(getattr(a, "dtype", None) == np.float32 for a in case.args)
        return (self.rtol32, self.atol32) if f32 else (self.rtol, self.atol)

    def starter_code(self) -> str:
        """The code of the starter cell a reader fills in (its comments in the reader's language)."""
        head = f"{self.setup}\n\n" if self.setup else ""
        with in_language():
            if self.kind == "bug":
                return f"{head}# {_('Find and fix the bug.')}\n{self.buggy.strip()}\n"
            if self.kind == "function":
                sig = inspect.signature(self.reference_function())
                return f"{head}def {self.answer_name}{sig}:\n    # {_('your code here')}\n    raise NotImplementedError\n"
            if self.kind == "choice":
                hint = _("one of {keys}").format(keys=", ".join(repr(k) for k in self.options))
            else:
                hint = _("your answer")
            return f"{self.answer_name} = ...  # {hint}\n"

    # -- the reader's text, in the current language ---------------------
    def text(self, part: str) -> str:
        """``title``, ``statement``, a hint (``"hint2"``) or an option (``"option:a"``), translated.

        The English text is the message id in the catalogue; text the
        catalogue lacks is shown in English.
        """
        if part.startswith("option:"):
            return _(self.options[part[len("option:"):]])
        if part.startswith("hint"):
            return _(self.hints[int(part[4:]) - 1])
        if part == "statement":
            return _(self.statement.strip())
        return _(getattr(self, part))

    def markdown(self) -> str:
        """Title, points and statement, with the options or the buggy code, in the reader's language."""
        with in_language():
            pts = ngettext("{points} point", "{points} points", 1 if self.points == 1 else 2).format(
                points=f"{self.points:g}")
            heading = _("**Exercise {exercise}: {title}** ({points})").format(
                exercise=self.id, title=self.text("title"), points=pts)
            text = f"{heading}\n\n{self.text('statement').strip()}\n"
            if self.kind == "choice":
                text += "\n" + "\n".join(f"- ({k}) {self.text('option:' + k)}" for k in self.options) + "\n"
        if self.kind == "bug":
            text += f"\n```python\n{self.buggy.strip()}\n```\n"
        return text

    # -- the notebook API ----------------------------------------------
    def check(self, answer):
        """Check an answer; returns a :class:`~nnbook.exercises.display.CheckResult`."""
        from .checking import check_answer
        return check_answer(self, answer)

    def hint(self, level: int = 1) -> Hint:
        """Hint number ``level`` (1 = gentlest); past the last, the last one."""
        with in_language():
            if isinstance(level, (bool, np.bool_)) or not isinstance(level, (int, np.integer)) or level < 1:
                raise ValueError(_("level must be a positive integer, got {level!r}").format(level=level))
            level = min(int(level), len(self.hints))
            return Hint(self.id, level, len(self.hints), self.text(f"hint{level}"))

    def solution(self) -> Solution:
        """The source of the reference solution. Try the exercise first!"""
        if grading_mode():
            raise PermissionError(f"solution({self.id!r}) is not available while grading")
        with in_language():
            return Solution(self.id, inspect.getsource(self.reference_function()).rstrip())

    def __repr__(self) -> str:
        return f"Exercise({self.id!r}, kind={self.kind!r}, points={self.points:g})"

    def _repr_markdown_(self) -> str:
        return self.markdown()


_REGISTRY: dict = {}


def random_normal(rng, *shape, scale=1.0, loc=0.0, dtype=np.float64) -> np.ndarray:
    """Test-case input: an array of normal draws from ``rng`` (the chapters' ``cases`` use it)."""
    return (loc + scale * rng.standard_normal(shape)).astype(dtype)


def register(ex: Exercise) -> Exercise:
    """Add an exercise to the registry (its id must be new) and return it."""
    if ex.id in _REGISTRY:
        raise ValueError(f"exercise {ex.id!r} is registered twice")
    _REGISTRY[ex.id] = ex
    return ex


def exercise(exercise_id: str) -> Exercise:
    """The registered exercise with this id."""
    try:
        return _REGISTRY[exercise_id]
    except (KeyError, TypeError):
        close = difflib.get_close_matches(str(exercise_id), list(_REGISTRY), n=3)
        also = _("; did you mean {names}?").format(names=", ".join(close)) if close else ""
        raise KeyError(_("no exercise {exercise!r}{also}").format(exercise=exercise_id, also=also)) from None


def all_exercises(chapter: str | None = None) -> list:
    """Registered exercises in book order, optionally of one chapter only."""
    return [ex for ex in _REGISTRY.values() if chapter is None or ex.chapter == chapter]


def check(exercise_id: str, answer):
    """Check ``answer`` for the exercise, e.g. ``check("neuron.ex1", neuron_output)``."""
    with in_language():
        ex = exercise(exercise_id)
    return ex.check(answer)


def hint(exercise_id: str, level: int = 1) -> Hint:
    """Hint ``level`` of the exercise, e.g. ``hint("neuron.ex1", 2)``."""
    with in_language():
        return exercise(exercise_id).hint(level)


def solution(exercise_id: str) -> Solution:
    """The reference solution's source, e.g. ``solution("neuron.ex1")``."""
    with in_language():
        ex = exercise(exercise_id)
    return ex.solution()
