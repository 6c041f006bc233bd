"""Instructor tools: release student notebooks, grade submissions in batch.

The ``nnbook`` command (:mod:`nnbook.grading.cli`)::

    nnbook release OUT/ [--book book/]
    nnbook release ASSIGNMENT.ipynb OUT/
    nnbook grade SUBMISSIONS/ --out RESULTS/ [--jobs N] [--shard K/N]
                 [--timeout S] [--cpu S] [--mem MB] [--seed SECRET] [--chapters a,b]
                 [--partial-credit] [--assignment ASSIGNMENT/]
    nnbook merge PART1.csv PART2.csv ... --out gradebook.csv

Cell metadata conventions
-------------------------
Exercise cells are found by their metadata, never by their text. Each has
``metadata["nnbook"] = {"exercise": "<id>", "role": "<role>"}`` (built by
:mod:`nnbook.exercises.cells`):

``statement``  Markdown statement of the exercise.
``starter``    The code cell the student fills in; it binds the exercise's
               ``answer_name``. The grader requires it: an exercise without a
               starter cell scores 0 ("missing"). If there are several, all
               run in order and the last definition wins (reported).
``check``      ``check("<id>", <answer_name>)``; skipped by the grader.
``solution``   Instructor copies only; removed by ``release``, skipped by the grader.
``hidden``     Instructor-only cells; removed by ``release``, skipped by the grader.

Grading
-------
Each student (``SUBMISSIONS/<student>/*.ipynb`` or ``SUBMISSIONS/<student>.ipynb``;
the id is the folder name or the file stem) is run by :mod:`.runner` in a
sandbox of its own (:mod:`.sandbox`: bubblewrap by default, a limited process
on request). The runner executes each notebook in a fresh child process (magics
stripped; each cell under its own CPU limit, its exception recorded) and
evaluates each answer in a grandchild under its own CPU limit, on public and
hidden input cases (hidden ones from the secret seed, per student), writing
plain ``.npy`` outputs. The grader validates what comes back and compares it
in its own process with values computed by the reference solutions, which
never enter the sandbox, and writes ``RESULTS/gradebook.csv`` (student,
exercise, points, max_points, status) and ``RESULTS/feedback/<slug>-<hash>.md``,
sorted and without timings, so that runs are byte-identical. Statuses:
``correct``, ``incorrect``, ``error`` (the answer raised), ``not_attempted``,
``missing``, ``timeout``, ``crashed``. An exercise earns its points when all
its cases pass; with ``--partial-credit``, ``points × passed weight / total
weight`` of its cases.

Assignments
-----------
``--assignment`` grades an assignment an instructor wrote as one notebook
(markup in :mod:`.assignment`; the notebook API in :mod:`nnbook.assignments`)
instead of the book's exercises: every question for every student, always
with partial credit. The instructor's notebook and ``hidden.py`` are run in
the grader's process only; the runner is told each question's answer name,
kind and output, and gets the cases' inputs, as for the book's exercises.

What is protected, and what is not
----------------------------------
Nothing a notebook does inside its sandbox can earn points, because points
come only from comparing plain output data with values computed elsewhere:
patching numpy, redefining ``check``, printing "PASS", exiting early or
forging the result file gain nothing. In the bubblewrap sandbox the student's
code cannot read the reference solutions (they are not there), see or touch
another submission or the grader, reach the network, write outside a capped
scratch folder, or outlive its run; an exercise may also forbid the library
function it asks for (``Exercise.forbids``). The README's table lists each
attack and what happens to it in both modes; ``tests/nnbook/test_grading_sandbox.py``
proves each one. Processes are capped per submission where a ``pids`` cgroup
can be made. Not covered: kernel exploits.
"""
