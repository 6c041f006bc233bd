"""What ``check``, ``hint`` and ``solution`` return: small objects that display well.

Each has a ``__repr__`` (the ``text/plain`` output of a notebook cell) and a
rich representation (HTML for check results, Markdown for hints and
solutions). Both are pure functions of the object's fields: no timings,
addresses or random ids, so that nbval can compare them between runs.
"""
from __future__ import annotations

import html
from dataclasses import dataclass

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
    """

    exercise_id: str
    status: str
    detail: str = ""
    passed: int = 0
    total: int = 0
    notes: tuple = ()

    @property
    def ok(self) -> bool:
        return self.status == "correct"

    def __bool__(self) -> bool:
        return self.ok

    def headline(self) -> str:
        symbol = STATUSES[self.status][0]
        counted = f" ({self.passed}/{self.total} cases)" if self.total else ""
        if self.status == "correct":
            line = f"correct{counted}"
        elif self.status == "incorrect":
            line = f"not yet{counted}"
        elif self.status == "not_attempted":
            line = "not attempted yet"
        else:
            line = "not checked here: the grader runs its own checks"
        detail = f" — {self.detail}" if self.detail else ""
        return f"{symbol} {self.exercise_id}: {line}{detail}"

    def __repr__(self) -> str:
        return "\n".join([self.headline()] + [f"    note: {n}" for n in self.notes])

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

    def __repr__(self) -> str:
        more = "" if self.level < self.total else " (that was the last hint)"
        return f"💡 {self.exercise_id}, hint {self.level} of {self.total}{more}: {self.text}"

    def _repr_markdown_(self) -> str:
        return f"**💡 Hint {self.level} of {self.total}** ({self.exercise_id}): {self.text}"


@dataclass(frozen=True)
class Solution:
    exercise_id: str
    source: str

    def __repr__(self) -> str:
        return f"# Reference solution of {self.exercise_id}\n{self.source}"

    def _repr_markdown_(self) -> str:
        return f"**Reference solution of {self.exercise_id}**\n\n```python\n{self.source}\n```"
