"""nnbook: the machinery of the book *Neural Networks, Interactively*, built on :mod:`nnlib`.

What a reader learns from is :mod:`nnlib`, the library. This package holds
what the book needs around it, and is not meant to be learnt:

``nnbook.experiments``
    the interactive experiments of the chapters (a pure ``compute`` function
    and a matplotlib ``draw`` each), and :mod:`nnbook.widgets`, which turns
    one into live ipywidgets controls;
``nnbook.exercises``
    the exercises: statements, hints, self-checks (``check``, ``hint``,
    ``solution``) and their reference solutions;
``nnbook.grading``
    the instructor's ``nnbook`` command: release student copies, grade a
    class, merge gradebooks;
chapter helpers
    :mod:`nnbook.sizes` (parameter, memory and FLOP counts),
    :mod:`nnbook.surfaces` (2-D loss surfaces for optimisers),
    :mod:`nnbook.minibatch` (the noise of mini-batch gradients),
    :mod:`nnbook.diagnostics` (gradient and activation statistics per layer)
    and :mod:`nnbook.listings` (running a source's code listing as printed).

The language of the exercise checks, hints and solutions is English unless
the reader chooses Chinese: ``nnbook.set_language("zh_CN")``, or the
environment variable ``NNBOOK_LANG=zh_CN`` before nnbook is used
(:mod:`nnbook.i18n`); ``nnbook.get_language()`` tells which.

``import nnbook`` loads the chapter helpers, which need numpy and nnlib only;
the experiments and widgets (matplotlib, ipywidgets) and the grader are
imported when first used. nnbook depends on nnlib; nnlib never imports nnbook.
"""
from . import diagnostics, i18n, listings, minibatch, sizes, surfaces  # noqa: F401
from .i18n import get_language, set_language

get_language()  # a misspelt NNBOOK_LANG is reported at once, naming the languages there are

__version__ = "0.1.0"

__all__ = ["diagnostics", "i18n", "listings", "minibatch", "sizes", "surfaces", "get_language", "set_language"]
