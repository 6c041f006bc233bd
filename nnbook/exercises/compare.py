"""Compare a reader's answer with the reference answer, safely and readably.

Every comparison of the book goes through this module, in the notebook
(:func:`nnbook.exercises.check`) and in the instructor's grader alike. The
order is fixed and the first problem found is the one reported:

1. **type**: exactly ``numpy.ndarray`` for array answers (a subclass is
   refused, whatever it claims), exactly a real Python or numpy scalar, or a
   0-d array, for scalar answers;
2. **dtype kind**: booleans, complex numbers, strings, dates and objects are
   refused;
3. **shape**, then **dtype** (array answers keep the dtype of the inputs);
4. **values**, with ``rtol``/``atol``, on fresh float64 copies of the data:
   the reader's ``__eq__``, ``__array__`` or ``__float__`` are never called.

Messages are deterministic (no addresses, no timings). The reader's answer is
printed exactly as given (:func:`fmt_value`: ``1482.5``, never rounded to
``1482``); an expected value is printed with 4 significant digits, or with as
many more as it takes to tell it apart from the answer (:func:`fmt_number`).
"""
from __future__ import annotations

import unicodedata

import numpy as np

from ..i18n import N_
from ..i18n import gettext as _

__all__ = ["type_problem", "scalar_problem", "compare", "plain_copy", "fmt_number", "fmt_array", "fmt_value",
           "digits_to_tell_apart"]

#: numpy scalar types accepted as real numbers (exact types, not subclasses).
NUMPY_REAL_SCALARS = frozenset(
    type(np.zeros(1, dtype=code)[0]) for code in np.typecodes["AllInteger"] + "fd"
)
_REFUSED_KINDS = {
    "b": N_("booleans"), "c": N_("complex numbers"), "O": N_("Python objects"), "U": N_("strings"),
    "S": N_("bytes"), "V": N_("structured records"), "M": N_("dates"), "m": N_("time deltas"),
}


def _type_name(value) -> str:
    cls = type(value)
    module = getattr(cls, "__module__", "")
    return cls.__name__ if module in ("builtins", "numpy") else f"{module}.{cls.__name__}"


def scalar_problem(value) -> str | None:
    """Why ``value`` is not accepted as a real number, or None if it is.

    Accepted: exact ``int`` or ``float`` (not ``bool``), an exact numpy integer,
    float32 or float64 scalar, or a 0-d ``numpy.ndarray`` of such a dtype.
    """
    cls = type(value)
    if cls is bool or cls is np.bool_:
        return _("expected a number, got the boolean {value}").format(value=bool(value))
    if cls is int or cls is float or cls in NUMPY_REAL_SCALARS:
        return None
    if cls is np.ndarray:
        if value.ndim != 0:
            return _("expected a single number (a float or a 0-d array), got an array of shape {shape}").format(
                shape=value.shape)
        return _kind_problem(value.dtype)
    if isinstance(value, (int, float, np.generic, np.ndarray)):
        base = "numpy.ndarray" if isinstance(value, np.ndarray) else type(value).__mro__[1].__name__
        return _("expected a plain number, got {type} (a subclass of {base}); return float(...) of your result").format(
            type=_type_name(value), base=base)
    return _("expected a number, got {type}").format(type=_type_name(value))


def _kind_problem(dtype: np.dtype) -> str | None:
    if dtype.kind in _REFUSED_KINDS:
        return _("dtype {dtype} is not accepted: the answer must hold real numbers, not {kind}").format(
            dtype=dtype, kind=_(_REFUSED_KINDS[dtype.kind]))
    if dtype.kind == "f" and dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
        return _("dtype {dtype} is not accepted: use float32 or float64").format(dtype=dtype)
    return None


def type_problem(value, output: str) -> str | None:
    """Why ``value`` cannot be an answer of the given ``output`` kind, or None.

    ``output`` is ``"array"`` (exactly a ``numpy.ndarray``) or ``"scalar"``
    (see :func:`scalar_problem`).
    """
    if output == "scalar":
        return scalar_problem(value)
    if type(value) is np.ndarray:
        return _kind_problem(value.dtype)
    if isinstance(value, np.ndarray):
        return _("expected a plain numpy.ndarray, got {type} (a subclass of numpy.ndarray); "
                 "return an ordinary array").format(type=_type_name(value))
    return _("expected a numpy.ndarray, got {type}").format(type=_type_name(value))


def plain_copy(value, output: str) -> np.ndarray:
    """A fresh, plain ndarray holding the data of an accepted answer.

    Scalars become 0-d float64 arrays; arrays are copied with their dtype.
    Call only after :func:`type_problem` returned None.
    """
    if output == "scalar":
        if type(value) is np.ndarray:
            value = value[()]
        return np.array(float(value), dtype=np.float64)
    return np.array(value, copy=True, subok=False)


def fmt_number(v, digits: int = 4) -> str:
    """A number with ``digits`` significant digits (``0.7311``, ``3.142e+06``, ``nan``); whole numbers in full."""
    v = float(v)
    if v.is_integer() and abs(v) < 1e9:
        return str(int(v))
    return f"{v:.{digits}g}"


def fmt_value(v) -> str:
    """A reader's number exactly as given: ``1482.5``, ``6e+23``, ``0.30000000000000004``.

    Integers are printed in full; floats as the shortest text that reads back
    to the very same number in their own dtype (Python's ``repr`` for
    float64, numpy's shortest form for float32: ``0.1``, not ``0.10000000149``).
    """
    if type(v) is np.ndarray:
        v = v[()]
    if isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)):
        return str(int(v))
    if isinstance(v, np.floating):
        return str(v)
    return repr(float(v))


def digits_to_tell_apart(expected, got, start: int = 4) -> int:
    """The fewest significant digits (``start`` to 17) at which ``expected`` and ``got`` print differently."""
    e, g = float(expected), float(got)
    for n in range(start, 17):
        if fmt_number(e, n) != fmt_number(g, n):
            return n
    return 17


def fmt_array(a: np.ndarray, indent: int = 0, digits: int | None = 4) -> str:
    """An array printed independently of numpy's print options.

    ``digits`` significant digits per number (:func:`fmt_number`), or, with
    ``digits=None``, every number exactly as given (:func:`fmt_value`).
    ``indent`` is the width of the text printed before the array on its first
    line, so that the following lines align under it.
    """
    a = np.asarray(a)
    if digits is None:
        formatter = {"float_kind": fmt_value, "int_kind": fmt_value}
    else:
        a = a.astype(np.float64)
        formatter = {"float_kind": lambda x: fmt_number(x, digits)}
    return np.array2string(
        a, max_line_width=88, separator=", ", threshold=100,
        edgeitems=3, formatter=formatter, sign="-", legacy=False,
        prefix=" " * indent,
    )


def compare(expected, got, *, output: str = "array", rtol: float = 1e-7, atol: float = 1e-10,
            show_values: bool = True) -> str | None:
    """Compare an answer with the expected (trusted) value.

    Parameters
    ----------
    expected : ndarray or number
        The reference answer, computed by the reference solution.
    got : object
        The reader's answer, checked by :func:`type_problem` first.
    output : {"array", "scalar"}
    rtol, atol : float
        Tolerances of :func:`numpy.isclose`.
    show_values : bool
        If False, value mismatches are described without printing numbers
        (used by the grader for hidden cases).

    Returns
    -------
    str or None
        The first problem found, or None if the answer is correct.
    """
    problem = type_problem(got, output)
    if problem:
        return problem
    try:
        g = plain_copy(got, output)
    except (OverflowError, ValueError) as exc:
        return _("the answer cannot be read as real numbers ({error})").format(error=exc)
    e = plain_copy(expected, output)
    if g.shape != e.shape:
        return _("expected shape {expected}, got {got}").format(expected=e.shape, got=g.shape)
    if output == "array" and g.dtype != e.dtype:
        return _("expected dtype {expected}, got {got}").format(expected=e.dtype, got=g.dtype)
    g64, e64 = g.astype(np.float64), e.astype(np.float64)
    bad = ~np.isclose(g64, e64, rtol=rtol, atol=atol, equal_nan=True)
    if not bad.any():
        return None
    # The answer is printed as given (in its own dtype); the expected value with enough digits to differ from it.
    given = (got[()] if type(got) is np.ndarray else got) if output == "scalar" else g
    if e64.ndim == 0:
        if not show_values:
            return _("the value is wrong")
        return _("expected {expected}, got {got}").format(
            expected=fmt_number(e64, digits_to_tell_apart(e64, g64)), got=fmt_value(given))
    first = tuple(int(i) for i in np.argwhere(bad)[0])
    where = _("values differ at {bad} of {size} entries").format(bad=int(bad.sum()), size=bad.size)
    if not show_values:
        return _("{where} (first at index {index})").format(where=where, index=first)
    n = digits_to_tell_apart(e64[first], g64[first])
    msg = _("{where}; first at index {index}: expected {expected}, got {got}").format(
        where=where, index=first, expected=fmt_number(e64[first], n), got=fmt_value(given[first]))
    if e64.size <= 12:
        # The two arrays are printed one above the other; the labels are padded to one width
        # (13 characters with the indent), which the arrays' second lines are indented by.
        n = max(digits_to_tell_apart(x, y) for x, y in zip(e64[bad], g64[bad]))
        expected_label, got_label = _("    expected "), _("    got      ")
        msg += (f"\n{expected_label}{fmt_array(e64, _width(expected_label), digits=n)}"
                f"\n{got_label}{fmt_array(given, _width(got_label), digits=None)}")
    return msg


def _width(text: str) -> int:
    """Columns ``text`` takes in a monospace font: CJK characters and full-width forms take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
