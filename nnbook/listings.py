"""Running a code listing of the sources as printed, to see where it stops.

Several listings of the book's sources fail (an undefined name, an argument a
library no longer accepts). To show the failure without stopping the
notebook, a chapter keeps the listing as text and runs it with
:func:`run_listing`: the code executes in a namespace of its own, the first
exception is caught, and the warnings it triggers are collected, so that the
notebook can print what happened::

    >>> run = run_listing("x = 1\\nprint(y)")
    >>> print(run.report())
    NameError: name 'y' is not defined
    >>> run.namespace["x"]
    1

Only what the namespace holds is visible to the listing (plus Python's
builtins), so a listing that forgets an import fails here exactly as it
would in a fresh interpreter.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field

__all__ = ["ListingRun", "run_listing"]


@dataclass
class ListingRun:
    """What happened when a listing ran.

    Attributes
    ----------
    error : Exception or None
        The exception that stopped the listing, None if it ran to the end.
    warnings : list of str
        The distinct warnings of the requested categories, as
        ``"Category: message"``, sorted.
    namespace : dict
        The listing's namespace after the run: the names it defined before
        it stopped.
    """

    error: Exception | None
    warnings: list = field(default_factory=list)
    namespace: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True if the listing ran to the end."""
        return self.error is None

    def report(self) -> str:
        """One line for the outcome, then one indented line per warning."""
        first = "ran to the end" if self.error is None else f"{type(self.error).__name__}: {self.error}"
        return "\n".join([first] + [f"  ({w})" for w in self.warnings])


def run_listing(source, namespace=None, *, warning_categories=(UserWarning,)) -> ListingRun:
    """Execute ``source`` in a namespace of its own; catch its first exception.

    Parameters
    ----------
    source : str
        The code, as printed in a source.
    namespace : dict, optional
        Names the listing may use (e.g. ``{"keras": keras}``); copied, so the
        caller's dictionary is left unchanged.
    warning_categories : tuple of Warning subclasses
        Warnings of these categories (and their subclasses) are collected;
        others are ignored while the listing runs.

    Returns
    -------
    ListingRun

    Raises
    ------
    SyntaxError
        If ``source`` does not parse: that is a mistake in the notebook, not
        a failure of the listing to demonstrate.

    Examples
    --------
    >>> run_listing("import math\\nr = math.sqrt(2.0)").namespace["r"]
    1.4142135623730951
    >>> print(run_listing("import warnings\\nwarnings.warn('old')").report())
    ran to the end
      (UserWarning: old)
    """
    if not isinstance(source, str):
        raise TypeError(f"source must be the listing as a str, got {type(source).__name__}")
    if namespace is not None and not isinstance(namespace, dict):
        raise TypeError(f"namespace must be a dict of names, got {type(namespace).__name__}")
    categories = tuple(warning_categories)
    for c in categories:
        if not (isinstance(c, type) and issubclass(c, Warning)):
            raise TypeError(f"warning_categories must hold Warning subclasses, got {c!r}")
    code = compile(source, "<listing>", "exec")       # a SyntaxError is raised, not reported
    ns = dict(namespace or {})
    error = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("ignore")
        for c in categories:
            warnings.simplefilter("always", c)
        try:
            exec(code, ns)
        except Exception as exc:  # the point is to report whatever stops the listing
            error = exc
    seen = sorted({f"{w.category.__name__}: {w.message}" for w in caught if issubclass(w.category, categories)})
    ns.pop("__builtins__", None)
    return ListingRun(error=error, warnings=seen, namespace=ns)
