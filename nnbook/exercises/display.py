"""What ``check``, ``hint`` and ``solution`` return: small objects that display well.

Each has a ``__repr__`` (the ``text/plain`` output of a notebook cell) and a
rich representation (HTML for check results, Markdown for hints and
solutions). Both are pure functions of the object's fields: no timings,
addresses or random ids, so that nbval can compare them between runs. The
field ``language`` is the language the object was made in (the reader's, see
:mod:`nnbook.i18n`); its framing text is shown in that language too.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field

from ..i18n import current_language, in_language
from ..i18n import gettext as _

__all__ = ["CheckResult", "Hint", "Solution", "STATUSES"]

#: status -> (symbol, colour of the HTML box)
STATUSES = {
    "correct": ("✅", "#e8f5e9"),
    "incorrect": ("❌", "#fdecea"),
    "not_attempted": ("⏳", "#fff8e1"),
    "grading": ("🔒", "#eeeeee"),
}


@dataclass(frozen=True)
class CheckResult:
    """The outcome of ``check``: truthy if and only if the answer is correct.

    Attributes
    ----------
    exercise_id : str
    status : {"correct", "incorrect", "not_attempted", "grading"}
    detail : str
        Why the answer is not (yet) correct: the failing case and the problem.
    passed, total : int
        Cases passed and cases run (0 and 0 for value and choice exercises).
    notes : tuple of str
        Remarks that do not change the outcome, e.g. warnings the code emitted.
    language : str
        The language ``detail`` and ``notes`` were written in, and the headline is shown in.
    """

    exercise_id: str
    status: str
    detail: str = ""
    passed: int = 0
    total: int = 0
    notes: tuple = ()
    language: str = field(default_factory=current_language, compare=False)

    @property
    def ok(self) -> bool:
        return self.status == "correct"

    def __bool__(self) -> bool:
        return self.ok

    def headline(self) -> str:
        with in_language(self.language):
            symbol = STATUSES[self.status][0]
            counted = _(" ({passed}/{total} cases)").format(passed=self.passed, total=self.total) if self.total else ""
            if self.status == "correct":
                line = _("correct{counted}").format(counted=counted)
            elif self.status == "incorrect":
                line = _("not yet{counted}").format(counted=counted)
            elif self.status == "not_attempted":
                line = _("not attempted yet")
            else:
                line = _("not checked here: the grader runs its own checks")
            detail = _(" — {detail}").format(detail=self.detail) if self.detail else ""
            return _("{symbol} {exercise}: {line}{detail}").format(
                symbol=symbol, exercise=self.exercise_id, line=line, detail=detail)

    def __repr__(self) -> str:
        with in_language(self.language):
            notes = [_("    note: {note}").format(note=n) for n in self.notes]
        return "\n".join([self.headline()] + notes)

    def _repr_html_(self) -> str:
        colour = STATUSES[self.status][1]
        body = html.escape(repr(self))
        return (f'<pre class="nnbook-check nnbook-{self.status}" style="background:{colour};'
                f'padding:0.5em;white-space:pre-wrap">{body}</pre>')


@dataclass(frozen=True)
class Hint:
    exercise_id: str
    level: int
    total: int
    text: str
    language: str = field(default_factory=current_language, compare=False)

    def __repr__(self) -> str:
        with in_language(self.language):
            more = "" if self.level < self.total else _(" (that was the last hint)")
            return _("💡 {exercise}, hint {level} of {total}{more}: {text}").format(
                exercise=self.exercise_id, level=self.level, total=self.total, more=more, text=self.text)

    def _repr_markdown_(self) -> str:
        with in_language(self.language):
            return _("**💡 Hint {level} of {total}** ({exercise}): {text}").format(
                level=self.level, total=self.total, exercise=self.exercise_id, text=self.text)


@dataclass(frozen=True)
class Solution:
    exercise_id: str
    source: str
    language: str = field(default_factory=current_language, compare=False)

    def __repr__(self) -> str:
        with in_language(self.language):
            return _("# Reference solution of {exercise}").format(exercise=self.exercise_id) + "\n" + self.source

    def _repr_markdown_(self) -> str:
        with in_language(self.language):
            title = _("**Reference solution of {exercise}**").format(exercise=self.exercise_id)
        return f"{title}\n\n```python\n{self.source}\n```"
