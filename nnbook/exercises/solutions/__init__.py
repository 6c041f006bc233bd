"""Reference solutions, one module per chapter (``solutions/neuron.py`` ...).

Each exercise names its reference (a function; for ``value`` and ``choice``
exercises a function of no argument returning the answer). Keep them short
and in the book's style: ``solution(id)`` shows their source to readers.

This package is imported lazily, only by ``check`` and ``solution``; the
grader's runner refuses to import it (see ``nnbook.grading``).
"""
