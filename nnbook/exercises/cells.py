"""Notebook cells for an exercise, with the metadata the grader relies on.

Chapter authors build a notebook's exercise cells with::

    from nnbook.exercises.cells import exercise_cells
    nb.cells += exercise_cells("neuron.ex1")                  # the book / students
    nb.cells += exercise_cells("neuron.ex1", solution=True)   # an instructor's copy

Every cell carries ``metadata["nnbook"] = {"exercise": id, "role": role}``
with ``role`` one of :data:`ROLES` (see :mod:`nnbook.grading` for what the
grader and ``nnbook release`` do with each) and a stable cell id such as
``neuron-ex1-starter``. nbformat is imported only when a cell is built.
"""
from __future__ import annotations

from .core import exercise

__all__ = ["ROLES", "nnbook_metadata", "statement_cell", "starter_cell", "check_cell",
           "solution_cell", "hidden_cell", "exercise_cells"]

#: statement (Markdown), starter (the reader's code), check (calls ``check``),
#: solution and hidden (instructor-only; removed by ``nnbook release``).
ROLES = ("statement", "starter", "check", "solution", "hidden")


def nnbook_metadata(exercise_id: str, role: str) -> dict:
    """``{"nnbook": {"exercise": exercise_id, "role": role}}``, checked."""
    exercise(exercise_id)  # raises KeyError for an unknown id
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}, got {role!r}")
    return {"nnbook": {"exercise": exercise_id, "role": role}}


def _cell(kind: str, exercise_id: str, role: str, source: str):
    from nbformat import v4  # lazy: nnlib itself needs only numpy
    new = v4.new_markdown_cell if kind == "markdown" else v4.new_code_cell
    cell = new(source.rstrip("\n"), metadata=nnbook_metadata(exercise_id, role))
    cell["id"] = f"{exercise_id.replace('.', '-')}-{role}"
    return cell


def statement_cell(exercise_id: str):
    """A Markdown cell with the exercise's title, points and statement."""
    return _cell("markdown", exercise_id, "statement", exercise(exercise_id).markdown())


def starter_cell(exercise_id: str):
    """The code cell the reader fills in (``raise NotImplementedError`` or ``name = ...``)."""
    return _cell("code", exercise_id, "starter", exercise(exercise_id).starter_code())


def check_cell(exercise_id: str):
    """``check("<id>", <answer_name>)``, with its import so that it runs on its own."""
    ex = exercise(exercise_id)
    src = f"from nnbook.exercises import check\n\ncheck({ex.id!r}, {ex.answer_name})"
    return _cell("code", exercise_id, "check", src)


def solution_cell(exercise_id: str):
    """Binds the answer name to the reference solution (instructor copies only)."""
    ex = exercise(exercise_id)
    ref = ex.reference or ex.answer_name
    module = f"nnbook.exercises.solutions.{ex.chapter}"
    if ex.runs_code:
        src = f"from {module} import {ref} as {ex.answer_name}"
    else:
        src = f"from {module} import {ref} as _reference\n\n{ex.answer_name} = _reference()"
    return _cell("code", exercise_id, "solution", "# Reference solution (removed by `nnbook release`)\n" + src)


def hidden_cell(exercise_id: str, source: str):
    """An instructor-only code cell (extra tests, notes); removed by ``nnbook release``."""
    return _cell("code", exercise_id, "hidden", source)


def exercise_cells(exercise_id: str, *, solution: bool = False) -> list:
    """Statement, starter, (solution,) check: the cells of one exercise, in order."""
    cells = [statement_cell(exercise_id), starter_cell(exercise_id)]
    if solution:
        cells.append(solution_cell(exercise_id))
    return cells + [check_cell(exercise_id)]
