"""The reader's language: what the exercise checks, hints and solutions say.

The book has an English and a Chinese edition; their exercises share one
package. A reader picks the language of the checks with::

    import nnbook
    nnbook.set_language("zh_CN")   # or "en", the default
    nnbook.get_language()          # "zh_CN"

or, before anything of nnbook runs, with the environment variable
``NNBOOK_LANG`` (a Chinese notebook's first cell sets
``os.environ["NNBOOK_LANG"] = "zh_CN"``). :func:`set_language` wins over the
variable; until it is called, the variable is read each time the language is
needed.

Messages are translated with Python's :mod:`gettext`: the English text is the
message id, and the catalogue ``locale/zh_CN/LC_MESSAGES/nnbook.po`` (with its
compiled ``nnbook.mo``, installed with the package) holds the Chinese. In the
code, ``_("...")`` translates a message, ``ngettext`` one whose form depends on
a count, and ``N_("...")`` only marks text translated later (exercise data).
``scripts/nnbook_messages.py`` collects the messages into the catalogue and
compiles it.

Only what a reader is shown is translated: messages are in the reader's
language inside :func:`in_language` blocks, which the notebook API (``check``,
``hint``, ``solution``, an exercise's statement) opens, and in English
everywhere else. The instructors' grader calls the same comparison functions
outside any such block, so its feedback stays English whatever the
environment says.
"""
from __future__ import annotations

import contextlib
import contextvars
import functools
import gettext as _gettext
import os
from pathlib import Path

__all__ = ["LANGUAGES", "LANGUAGE_ENV", "DOMAIN", "LOCALE_DIR", "set_language", "get_language",
           "in_language", "current_language", "gettext", "ngettext", "N_"]

#: The languages of the exercise checks; "en" is the default and needs no catalogue.
LANGUAGES = ("en", "zh_CN")
#: Environment variable giving the language when :func:`set_language` was not called.
LANGUAGE_ENV = "NNBOOK_LANG"
#: The gettext domain: the catalogues are ``<LOCALE_DIR>/<language>/LC_MESSAGES/nnbook.mo``.
DOMAIN = "nnbook"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

_chosen: str | None = None  # set by set_language
_active: contextvars.ContextVar = contextvars.ContextVar("nnbook_language", default="en")


def _valid(lang, source: str) -> str:
    if lang not in LANGUAGES:
        allowed = ", ".join(repr(x) for x in LANGUAGES)
        raise ValueError(f"{source}: unknown language {lang!r}; nnbook's checks speak {allowed}")
    return lang


def _from_environment() -> str:
    value = os.environ.get(LANGUAGE_ENV, "").strip()
    return _valid(value, f"environment variable {LANGUAGE_ENV}") if value else "en"


def set_language(lang: str) -> None:
    """Make ``lang`` ("en" or "zh_CN") the language of the exercise checks, hints and solutions."""
    global _chosen
    _valid(lang, "set_language")
    if lang != "en":
        _translations(lang)  # a missing catalogue is an error now, not at the next check
    _chosen = lang


def get_language() -> str:
    """The reader's language: the one given to :func:`set_language`, else ``$NNBOOK_LANG``, else "en"."""
    return _chosen if _chosen is not None else _from_environment()


@contextlib.contextmanager
def in_language(lang: str | None = None):
    """Messages made inside the block are in ``lang`` (default: the reader's, :func:`get_language`)."""
    token = _active.set(_valid(lang, "in_language") if lang is not None else get_language())
    try:
        yield
    finally:
        _active.reset(token)


def current_language() -> str:
    """The language messages are made in here and now ("en" outside :func:`in_language`)."""
    return _active.get()


@functools.lru_cache(maxsize=None)
def _translations(lang: str) -> _gettext.NullTranslations:
    if lang == "en":
        return _gettext.NullTranslations()
    try:
        return _gettext.translation(DOMAIN, localedir=str(LOCALE_DIR), languages=[lang])
    except OSError as exc:
        raise RuntimeError(f"nnbook's {lang} catalogue is missing ({LOCALE_DIR}); reinstall nnbook") from exc


def gettext(message: str) -> str:
    """``message`` in the current language (itself in English or when the catalogue lacks it)."""
    return _translations(_active.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a message for the count ``n``, in the current language."""
    return _translations(_active.get()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue without translating it (it is translated where it is shown)."""
    return message
