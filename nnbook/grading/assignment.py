"""Assignments instructors write themselves: the markup, their release, and the questions the grader scores.

An assignment is a folder holding one notebook, the instructor's copy with
the solutions (its file name, e.g. ``logistic.ipynb``, names the
assignment: lower case, digits and ``_``), and optionally ``hidden.py``, the
hidden test cases. Neither file is given to students or enters the sandbox:
``nnbook release`` writes a students' copy, and ``nnbook grade --assignment``
reads both files in the grader's own process, where the expected outputs are
computed from the instructor's solution.

Markup, in code cells (the ``#|`` lines open their cell):

``#| question: q1``        this cell defines the answer to question ``q1``
``#| answer: sigmoid``     the name the answer is bound to: a function, or a value (a number or an array)
``#| points: 2``           its points (default 1)
``#| rtol: 1e-6``          optional tolerances (``#| atol: ...`` too); by default the book's
``### BEGIN SOLUTION``     opens the solution, in any code cell; ``### END SOLUTION`` closes it. The
                           students' copy has ``raise NotImplementedError`` in its place, or
                           ``<answer> = ...`` where it starts at the top level of a question's cell
``#| tests: q1``           a public test cell of ``q1``: it binds ``cases`` to a list of
                           ``case(name, *args, weight=1)`` (from :mod:`nnbook.assignments`)

``hidden.py`` binds ``HIDDEN``, a dict from question id (``"q1"``) to a list
of ``case(...)``, or to a function ``rng -> list of case(...)`` drawn for each
student from the grader's secret seed.

A function question is graded on its public and hidden cases, with partial
credit by weight; a value question is one case, the value itself. The
students' copy keeps each test cell and adds under it a call to
:func:`nnbook.assignments.check_cases` holding the outputs of the
instructor's solution on those public cases (never on the hidden ones), so
that students can run the public cases themselves.
"""
from __future__ import annotations

import contextlib
import copy
import io
import json
import math
import re
import runpy
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ..assignments import Question
from ..exercises.checking import describe_exception, expected_output
from ..exercises.compare import scalar_problem, type_problem
from ..exercises.core import Case
from .grade import _encode
from .notebook import cell_source, strip_magics
from .release import student_copy

__all__ = ["Assignment", "AssignmentError", "load_assignment", "find_notebook", "strip_solutions", "cell_header",
           "student_notebook", "release_assignment", "HIDDEN_FILE"]

HIDDEN_FILE = "hidden.py"
QUESTION_KEYS = ("question", "answer", "points", "rtol", "atol")
_HEADER = re.compile(r"^#\|\s*([A-Za-z_][\w-]*)\s*:\s*(.*?)\s*$")
_BEGIN = re.compile(r"^(\s*)#+\s*BEGIN SOLUTION\s*$", re.I)
_END = re.compile(r"^\s*#+\s*END SOLUTION\s*$", re.I)
_MARKER = re.compile(r"(BEGIN|END)\s+SOLUTION", re.I)
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_PROBE_SEED = 0   # draws hidden cases once at load, to check the instructor's answer on them


class AssignmentError(ValueError):
    """A mistake in an assignment's notebook or hidden file, said in plain words."""


@dataclass
class Assignment:
    """An instructor's assignment, loaded: its notebook, its questions with their reference answers and cases."""

    name: str
    notebook: Path
    hidden_file: Path | None
    nb: dict
    questions: list                                 # Question, in the notebook's order
    roles: dict = field(default_factory=dict)       # cell index -> (question id, "starter" or "check")
    expected: dict = field(default_factory=dict)    # test cell index -> outputs of the solution on its cases

    @property
    def total_points(self) -> float:
        return sum(q.points for q in self.questions)


def find_notebook(path) -> Path:
    """The assignment's notebook: ``path`` itself, or the one notebook in the folder ``path``."""
    path = Path(path)
    if path.is_file() and path.suffix == ".ipynb":
        return path
    if not path.is_dir():
        raise FileNotFoundError(f"{path}: not an assignment (a folder holding one notebook, or the notebook)")
    found = sorted(p for p in path.glob("*.ipynb") if not p.name.startswith((".", "_")))
    if len(found) != 1:
        raise AssignmentError(f"{path}: an assignment folder holds exactly one notebook, found {len(found)}"
                              + (f" ({', '.join(p.name for p in found)})" if found else ""))
    return found[0]


def cell_header(src: str, where: str) -> dict:
    """The ``#| key: value`` lines that open a cell, as a dict."""
    options = {}
    for line in src.split("\n"):
        m = _HEADER.match(line)
        if not m:
            break
        key, value = m.group(1), m.group(2)
        if key in options:
            raise AssignmentError(f"{where}: '#| {key}:' is given twice")
        options[key] = value
    return options


def strip_solutions(src: str, answer_name: str | None, where: str) -> str:
    """``src`` with every ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` region replaced by a placeholder.

    The placeholder is ``raise NotImplementedError`` at the marker's
    indentation, or ``<answer_name> = ...`` for a region at the top level of
    a question's cell (``answer_name`` given).
    """
    out, opened = [], None
    for n, line in enumerate(src.split("\n"), start=1):
        begin, end = _BEGIN.match(line), _END.match(line)
        if begin:
            if opened is not None:
                raise AssignmentError(f"{where}, line {n}: BEGIN SOLUTION inside the solution opened on line {opened}")
            opened, indent = n, begin.group(1)
            if indent or answer_name is None:
                out += [f"{indent}# your code here", f"{indent}raise NotImplementedError"]
            else:
                out.append(f"{answer_name} = ...  # your answer")
        elif end:
            if opened is None:
                raise AssignmentError(f"{where}, line {n}: END SOLUTION without a BEGIN SOLUTION before it")
            opened = None
        elif opened is None:
            if _MARKER.search(line):
                raise AssignmentError(f"{where}, line {n}: a solution marker must be a line of its own, "
                                      f"'### BEGIN SOLUTION' or '### END SOLUTION', got {line.strip()!r}")
            out.append(line)
    if opened is not None:
        raise AssignmentError(f"{where}, line {opened}: BEGIN SOLUTION is never closed by '### END SOLUTION'")
    return "\n".join(out)


def _number(text: str, key: str, where: str, positive: bool):
    """The number of a ``#| key: value`` line (a whole number as an int: ``2``, not ``2.0``)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        raise AssignmentError(f"{where}: '#| {key}:' needs a {'positive' if positive else 'non-negative'} number, "
                              f"got {text!r}")
    return int(value) if value.is_integer() else value


def _declarations(cells: list, nb_name: str):
    """``(questions, tests)``: ``{q: options with the cell index}`` and ``{cell index: q}``, checked."""
    questions, tests = {}, {}
    for i, cell in enumerate(cells):
        where = f"{nb_name}, cell {i + 1}"
        src = cell_source(cell)
        if cell.get("cell_type") != "code":
            if _MARKER.search(src):
                raise AssignmentError(f"{where}: solution markers belong in code cells only (this one would be "
                                      "released as it is)")
            continue
        options = cell_header(src, where)
        if not options:
            continue
        if "tests" in options:
            if set(options) != {"tests"}:
                raise AssignmentError(f"{where}: a test cell takes '#| tests: <question>' alone")
            tests[i] = options["tests"]
            continue
        unknown = sorted(set(options) - set(QUESTION_KEYS))
        if unknown:
            raise AssignmentError(f"{where}: unknown cell options {unknown}; a question's cell opens with "
                                  f"'#| question:' and may give {', '.join(QUESTION_KEYS[1:])}, a test cell "
                                  "opens with '#| tests:'")
        if "question" not in options:
            raise AssignmentError(f"{where}: '#| {next(iter(options))}:' needs '#| question: <id>' with it")
        q = options["question"]
        if not _NAME.match(q):
            raise AssignmentError(f"{where}: question id {q!r} must be lower case letters, digits and _ (e.g. q1)")
        if q in questions:
            raise AssignmentError(f"{where}: question {q} is already defined in cell {questions[q]['cell'] + 1}")
        answer = options.get("answer", "")
        if not answer.isidentifier():
            raise AssignmentError(f"{where}: '#| answer:' must name the variable or function of the answer, "
                                  f"got {answer!r}")
        questions[q] = {"cell": i, "answer": answer,
                        "points": _number(options.get("points", "1"), "points", where, positive=True),
                        **{k: _number(options[k], k, where, positive=False) for k in ("rtol", "atol") if k in options}}
    for i, q in tests.items():
        if q not in questions:
            raise AssignmentError(f"{nb_name}, cell {i + 1}: '#| tests: {q}' names no question of the notebook "
                                  f"(questions: {', '.join(questions) or 'none'})")
    if not questions:
        raise AssignmentError(f"{nb_name}: no question found (a question's cell opens with '#| question: q1')")
    return questions, tests


def _case_list(value, where: str) -> list:
    if not isinstance(value, (list, tuple)) or not all(isinstance(c, Case) for c in value):
        raise AssignmentError(f"{where}: expected a list of case(name, *args, weight=1), got {type(value).__name__}")
    return list(value)


def _output_kind(value, where: str) -> str:
    """``"scalar"`` for a number (or a 0-d array), ``"array"`` for an ndarray of numbers."""
    if scalar_problem(value) is None:
        return "scalar"
    if type_problem(value, "array") is None:
        return "array"
    raise AssignmentError(f"{where}: the instructor's answer gave {type(value).__name__}; an answer must be "
                          "(or return) a numpy array of numbers or a single number")


def _run_instructor_code(cells: list, questions: dict, tests: dict, nb_name: str):
    """Run the notebook's code cells in order, in this process; return the references and each test cell's cases."""
    ns, references, cases = {"__name__": "__main__"}, {}, {}
    answer_cells = {spec["cell"]: q for q, spec in questions.items()}
    for i, cell in enumerate(cells):
        if cell.get("cell_type") != "code":
            continue
        where = f"{nb_name}, cell {i + 1}"
        src, skipped = strip_magics(cell_source(cell))
        if skipped:
            continue
        ns.pop("cases", None)
        try:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                exec(compile(src, f"<{where}>", "exec"), ns)
        except Exception as exc:  # noqa: BLE001 - the instructor's mistake, said plainly
            raise AssignmentError(f"{where}: the instructor's code raised {describe_exception(exc)}") from exc
        if i in answer_cells:
            q = answer_cells[i]
            name = questions[q]["answer"]
            if name not in ns:
                raise AssignmentError(f"{where}: question {q} says '#| answer: {name}' but the cell defines no {name}")
            references[q] = ns[name]
        if i in tests:
            if "cases" not in ns:
                raise AssignmentError(f"{where}: a test cell binds `cases` to a list of case(...)")
            cases[i] = _case_list(ns["cases"], f"{where}: `cases`")
    return references, cases


def _load_hidden(path: Path, questions: dict) -> dict:
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            ns = runpy.run_path(str(path), run_name="__hidden__")
        except Exception as exc:  # noqa: BLE001
            raise AssignmentError(f"{path.name}: raised {describe_exception(exc)}") from exc
    hidden = ns.get("HIDDEN")
    if not isinstance(hidden, dict):
        raise AssignmentError(f"{path.name}: it must bind HIDDEN, a dict from question id to a list of case(...) "
                              "or a function rng -> list of case(...)")
    unknown = sorted(set(hidden) - set(questions))
    if unknown:
        raise AssignmentError(f"{path.name}: HIDDEN names questions the notebook does not have: {unknown}")
    return {q: v if callable(v) else tuple(_case_list(v, f"{path.name}: HIDDEN[{q!r}]")) for q, v in hidden.items()}


def load_assignment(path) -> Assignment:
    """Read an assignment (a folder or its notebook), run the instructor's notebook here, and check it.

    Raises :class:`AssignmentError` for a mistake in the markup, an error in
    the instructor's code, or a reference answer that is not a number or an
    array of numbers on some case.
    """
    nb_path = find_notebook(path)
    name = nb_path.stem
    if not _NAME.match(name):
        raise AssignmentError(f"{nb_path.name}: the notebook's name is the assignment's id and must be lower case "
                              "letters, digits and _ (e.g. logistic.ipynb)")
    try:
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
        cells = nb["cells"]
    except (ValueError, KeyError, TypeError) as exc:
        raise AssignmentError(f"{nb_path.name}: not a readable notebook ({exc})") from None
    declared, tests = _declarations(cells, nb_path.name)
    references, public = _run_instructor_code(cells, declared, tests, nb_path.name)
    hidden_file = nb_path.parent / HIDDEN_FILE
    hidden = _load_hidden(hidden_file, declared) if hidden_file.is_file() else {}
    assignment = Assignment(name, nb_path, hidden_file if hidden_file.is_file() else None, nb, [])
    for q, spec in declared.items():
        test_cells = [i for i, t in tests.items() if t == q]
        reference = references[q]
        question = Question(f"{name}.{q}", spec["answer"], points=spec["points"],
                            kind="function" if callable(reference) else "value", rtol=spec.get("rtol"),
                            atol=spec.get("atol"), reference=reference,
                            cases=tuple(c for i in test_cells for c in public[i]), hidden=hidden.get(q, ()))
        question = replace(question, output=_check_question(question, f"{nb_path.name}, question {q}"))
        assignment.questions.append(question)
        assignment.roles[spec["cell"]] = (question.id, "starter")
        for i in test_cells:
            assignment.roles[i] = (question.id, "check")
            assignment.expected[i] = [expected_output(question, c) for c in public[i]]
    return assignment


def _check_question(question: Question, where: str) -> str:
    """Run the instructor's answer on every case (hidden ones drawn once); return what it gives: its output kind."""
    short = question.id.split(".", 1)[1]
    if question.kind == "value" and (question.cases or question.hidden):
        raise AssignmentError(f"{where}: {question.answer_name} is a value, compared as it is: it takes no cases")
    if callable(question.hidden):
        _case_list(question.hidden(np.random.default_rng(_PROBE_SEED)), f"{HIDDEN_FILE}: HIDDEN[{short!r}](rng)")
    cases = question.public_cases() + question.hidden_cases("probe")
    if not cases:
        raise AssignmentError(f"{where}: a function question needs cases: a test cell '#| tests: {short}' "
                              f"or HIDDEN[{short!r}] in {HIDDEN_FILE}")
    names = [c.name for c in cases]
    if len(set(names)) != len(names):
        raise AssignmentError(f"{where}: case names must be unique, got {names}")
    kinds = set()
    for c in cases:
        try:
            [_encode(a, {}) for a in c.args]   # as the case will travel to the runner
        except TypeError as exc:
            raise AssignmentError(f"{where}, case {c.name!r}: {exc}") from None
        try:
            output = expected_output(question, c)
        except Exception as exc:  # noqa: BLE001
            raise AssignmentError(f"{where}: the instructor's answer raised {describe_exception(exc)} "
                                  f"on case {c.name!r}") from exc
        kinds.add(_output_kind(output, f"{where}, case {c.name!r}"))
    if len(kinds) > 1:
        raise AssignmentError(f"{where}: the instructor's answer returns arrays on some cases and numbers on "
                              "others; an answer returns one or the other")
    return kinds.pop()


# --------------------------------------------------------------------------- the students' copy

def _number_literal(x) -> str:
    if isinstance(x, float) and not math.isfinite(x):
        return "float('nan')" if x != x else ("float('inf')" if x > 0 else "-float('inf')")
    return repr(x)


def _nested_literal(x) -> str:
    return "[" + ", ".join(map(_nested_literal, x)) + "]" if isinstance(x, list) else _number_literal(x)


def _literal(value, output: str) -> str:
    """Python source that gives ``value`` back exactly: a number, or ``array([...], dtype=...)``."""
    if output == "scalar":
        return _number_literal(np.asarray(value).item())
    dtype = "" if value.dtype == np.float64 else f", dtype={str(value.dtype)!r}"
    if value.size == 0:
        return f"array([]{dtype}).reshape({value.shape!r})"
    return f"array({_nested_literal(value.tolist())}{dtype})"


def _check_code(question: Question, expected: list) -> str:
    """The lines ``release`` adds under a public test cell: the solution's outputs and the call to ``check_cases``."""
    tolerances = "".join(f", {k}={v!r}" for k, v in (("rtol", question.rtol), ("atol", question.atol)) if v is not None)
    lines = ["# Added by `nnbook release`: what the instructor's solution returns on these cases.",
             "from numpy import array",
             "from nnbook.assignments import check_cases",
             f'check_cases("{question.id}", {question.answer_name}, cases, expected=[']
    lines += [f"    {_literal(v, question.output)}," for v in expected]
    return "\n".join(lines + [f"]{tolerances})"])


def student_notebook(assignment: Assignment) -> dict:
    """The students' copy: solutions replaced by placeholders, checks added, outputs and state cleared.

    Question cells carry ``{"nnbook": {"exercise": id, "role": "starter"}}``
    and test cells ``role: "check"``, which is how the grader finds them.
    """
    by_id = {q.id: q for q in assignment.questions}
    cells = []
    for i, cell in enumerate(assignment.nb["cells"]):
        cell = copy.deepcopy(cell)
        if cell.get("cell_type") == "code":
            where = f"{assignment.notebook.name}, cell {i + 1}"
            qid, role = assignment.roles.get(i, (None, None))
            question = by_id.get(qid)
            src = strip_solutions(cell_source(cell), question.answer_name if role == "starter" else None, where)
            if role == "check":
                src = src.rstrip("\n") + "\n\n" + _check_code(question, assignment.expected[i])
            cell["source"] = src
            if role:
                cell["metadata"] = {**cell.get("metadata", {}), "nnbook": {"exercise": qid, "role": role}}
        cells.append(cell)
    return student_copy({**assignment.nb, "cells": cells})


def release_assignment(path, out) -> dict:
    """Write the students' copy of the assignment at ``path`` and ``manifest.json`` into ``out``."""
    assignment = load_assignment(path)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    nb = student_notebook(assignment)
    (out / assignment.notebook.name).write_text(json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n",
                                                encoding="utf-8")
    manifest = {"assignment": assignment.name, "notebook": assignment.notebook.name,
                "questions": [{"id": q.id, "answer_name": q.answer_name, "kind": q.kind, "output": q.output,
                               "points": q.points, "public_cases": len(q.cases)} for q in assignment.questions],
                "total_points": assignment.total_points}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return manifest
