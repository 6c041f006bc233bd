"""Exercises of the book, with self-checks for readers.

In a notebook::

    from nnbook.exercises import check, hint, solution, exercise

    check("neuron.ex1", neuron_output)   # ✅ neuron.ex1: correct (5/5 cases)
    hint("neuron.ex1", 2)                # the second, less gentle hint
    solution("neuron.ex1")               # the reference solution, on request only

    ex = exercise("neuron.ex1")          # the same, object style; displays the statement
    ex.check(neuron_output); ex.hint(); ex.solution()

Kinds of exercise
-----------------
``function``
    The reader writes a function; it runs on several cases (normal, large
    inputs, batch of one, float32...) and its output is compared with the
    reference solution's: type, then shape, then dtype, then values
    (see :mod:`nnbook.exercises.compare`).
``value``
    A number, compared with a tolerance.
``choice``
    Multiple choice (or true/false): a key such as ``"a"``.
``bug``
    The statement shows a buggy function; the reader writes the fixed one,
    checked like a ``function`` exercise.

A starter left as it was (``raise NotImplementedError``, ``answer = ...`` or
``None``) is reported as "⏳ not attempted yet"; an exception in the reader's
code is reported with its type, message and the case it happened on.

Adding a chapter's exercises
----------------------------
1. Create ``nnbook/exercises/<chapter>.py`` (copy ``neuron.py``): one
   ``register(Exercise(id="<chapter>.ex1", kind=..., answer_name=..., ...))``
   per exercise, with a Markdown ``statement``, ``hints`` and, for function
   and bug exercises, ``cases=`` a function ``rng -> [Case(name, args), ...]``
   that draws its inputs from ``rng`` only (arguments may be ndarrays,
   Python numbers or strings, and tuples or lists of them: the grader
   sends them to the student's process as ``.npz`` + JSON).
2. Put the reference solutions in ``nnbook/exercises/solutions/<chapter>.py``,
   one function per exercise, named like ``answer_name`` (or set
   ``reference=``); for value and choice exercises a function of no argument
   returning the answer.
3. Add ``"<chapter>"`` to ``CHAPTERS`` below, in book order.
4. Write ``tests/nnbook/test_exercises_<chapter>.py`` with a ``WRONG_ANSWERS`` dict
   (exercise id -> wrong answers: off by one, wrong sign, wrong axis or
   shape, a lying ndarray subclass ...) and a test that they all fail.
   ``tests/nnbook/test_exercises.py`` runs the generic checks on every registered
   exercise (the reference passes, the starter is "not attempted", errors are
   reported, output is deterministic) and ``tests/nnbook/test_grading.py`` checks
   that each one round-trips through the grader.
5. In the chapter's notebook, build the cells with
   :func:`nnbook.exercises.cells.exercise_cells` (statement, starter, check),
   which carry the metadata the grader relies on (see :mod:`nnbook.grading`).

Only numpy is imported here; solutions are imported when a check needs them.
"""
import importlib
import importlib.util

from .core import (GRADING_ENV, KINDS, Case, Exercise, all_exercises, check, exercise,
                   grading_mode, hint, register, solution)
from .display import CheckResult, Hint, Solution

#: Chapters with exercises, in book order (module names in this package).
#: A new chapter's module is listed here once, in its place in the book.
CHAPTERS = ("introduction", "neuron", "activations", "losses", "gradient_descent", "backprop", "deep", "digits", "frameworks")

for _chapter in CHAPTERS:
    if importlib.util.find_spec(f"{__name__}.{_chapter}") is not None:  # chapters still being written have none
        importlib.import_module(f"{__name__}.{_chapter}")
del _chapter

__all__ = ["check", "hint", "solution", "exercise", "all_exercises", "register",
           "Exercise", "Case", "KINDS", "CHAPTERS", "CheckResult", "Hint", "Solution",
           "grading_mode", "GRADING_ENV"]
