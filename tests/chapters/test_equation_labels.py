"""Equation labels: the notebooks and the tests must name the same equations.

Every numbered equation of the book carries a MyST label, written after the
closing ``$$`` (``$$ ... $$ (eq-losses-softmax)``) or as ``:label:`` in a
``{math}`` directive. The test that checks an equation numerically names its
label (in a comment, a docstring or a string), so that a reader can go from
either to the other. This file checks both directions: a label named in a
test must exist in a notebook (a renamed label leaves the test pointing at
nothing), and a labelled equation must be named by some test (an equation no
test checks). A label counts as named only when the label itself, with its
hyphens, appears in a file ``tests/*.py``; a test function's name such as
``test_eq_losses_softmax_...`` does not count, because where its label ends
cannot be read from it.
"""
from __future__ import annotations

import difflib
import json
import re
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "book").glob("*.ipynb"))
TEST_FILES = sorted(p for p in (ROOT / "tests").rglob("*.py") if p.name != Path(__file__).name)

# A display-math block, and the label that may follow its closing $$ on the same line.
_DISPLAY_MATH = re.compile(r"\$\$(.+?)\$\$[ \t]*(?:\(([^()\s]+)\))?", re.S)
_DIRECTIVE_LABEL = re.compile(r"^:label:[ \t]*(\S+)", re.M)
# A reference {eq}`label` or {eq}`text <label>`.
_REFERENCE = re.compile(r"\{eq\}`(?:[^`<]*<([^`>]+)>|([^`]+))`")
# A label named in a test: eq-word(-word)*, not part of a longer word.
_NAMED = re.compile(r"(?<![\w-])eq-[a-z0-9]+(?:-[a-z0-9]+)*")


def labels_in_markdown(text: str) -> list:
    """Equation labels defined in one markdown cell, in order."""
    found = [m.group(2) for m in _DISPLAY_MATH.finditer(text) if m.group(2)]
    return found + _DIRECTIVE_LABEL.findall(text)


def _markdown_cells(path: Path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    for i, cell in enumerate(cells):
        if cell["cell_type"] == "markdown":
            source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            yield f"book/{path.name} cell {i}" + (f" (id {cell['id']})" if cell.get("id") else ""), source


def defined_labels() -> dict:
    """``{label: [where it is defined, ...]}`` over every notebook of the book."""
    labels = defaultdict(list)
    for path in NOTEBOOKS:
        for where, source in _markdown_cells(path):
            for label in labels_in_markdown(source):
                labels[label].append(where)
    return dict(labels)


def referenced_labels() -> dict:
    """``{label: [where {eq}`label` is used, ...]}``."""
    refs = defaultdict(list)
    for path in NOTEBOOKS:
        for where, source in _markdown_cells(path):
            for m in _REFERENCE.finditer(source):
                refs[(m.group(1) or m.group(2)).strip()].append(where)
    return dict(refs)


def named_labels() -> dict:
    """``{label: ["tests/file.py:line", ...]}`` for every ``eq-...`` string in the test files."""
    named = defaultdict(list)
    for path in TEST_FILES:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for label in _NAMED.findall(line):
                named[label].append(f"tests/{path.name}:{n}")
    return dict(named)


def _listing(items: dict, extra=lambda label: "") -> str:
    return "\n".join(f"  {label}: {', '.join(sorted(set(where)))}{extra(label)}"
                     for label, where in sorted(items.items()))


# -- the parser itself, so that the checks below cannot pass by finding nothing ---------------------
def test_the_parser_reads_both_label_forms_and_ignores_unlabelled_math():
    text = ("Softmax $$ p_k = e^{z_k} / \\sum_j e^{z_j} $$ (eq-a-softmax)\n"
            "$$(a + b)^2 = a^2 + 2ab + b^2$$\n"
            "$$\n x \\mapsto (x)\n$$ (eq-a-two)\n"
            "```{math}\n:label: eq-a-three\nE = mc^2\n```\n"
            "inline $x$ and $$y$$ (not a label)")
    assert labels_in_markdown(text) == ["eq-a-softmax", "eq-a-two", "eq-a-three"]
    assert _NAMED.findall("# eq-losses-ce-kl, and eq-x-y; freq-z, not-eq-q, f'eq-{name}'") == ["eq-losses-ce-kl",
                                                                                               "eq-x-y"]
    assert [m.group(1) or m.group(2) for m in _REFERENCE.finditer("{eq}`eq-a` and {eq}`this one <eq-b>`")] == [
        "eq-a", "eq-b"]


def test_the_book_has_labelled_equations_and_the_tests_name_labels():
    assert len(defined_labels()) >= 50, "fewer labelled equations than expected: is the parser still right?"
    assert len(named_labels()) >= 50, "fewer labels named in tests than expected: is the pattern still right?"


# -- the two directions ---------------------------------------------------------------------------
def test_every_label_named_in_a_test_exists_in_a_notebook():
    defined = defined_labels()
    missing = {label: where for label, where in named_labels().items() if label not in defined}

    def guess(label):
        close = difflib.get_close_matches(label, list(defined), n=2, cutoff=0.6)
        return f"; did you mean {' or '.join(close)}?" if close else ""

    assert not missing, ("labels named in tests but defined in no notebook (renamed or removed equations):\n"
                         + _listing(missing, guess))


def test_every_labelled_equation_is_named_by_a_test():
    named = named_labels()
    tests_text = "\n".join(p.read_text(encoding="utf-8") for p in TEST_FILES)
    unnamed = {label: where for label, where in defined_labels().items() if label not in named}

    def hint(label):
        if re.search(rf"(?<![A-Za-z0-9]){re.escape(label.replace('-', '_'))}(?![A-Za-z0-9])", tests_text):
            return f"; only as {label.replace('-', '_')} in a test's name: put {label} in that test's comment"
        return ""

    assert not unnamed, ("labelled equations that no test names (add the label to the test that checks the "
                         "equation numerically):\n" + _listing(unnamed, hint))


# -- well-formed labels and references --------------------------------------------------------------
def test_each_label_is_defined_once_and_starts_with_eq():
    defined = defined_labels()
    twice = {label: where for label, where in defined.items() if len(where) > 1}
    assert not twice, "labels defined more than once:\n" + _listing(twice)
    odd = {label: where for label, where in defined.items() if not _NAMED.fullmatch(label)}
    assert not odd, "equation labels must look like eq-<chapter>-<name> (lower case, hyphens):\n" + _listing(odd)


def test_every_equation_reference_points_to_a_label():
    defined = defined_labels()
    dangling = {label: where for label, where in referenced_labels().items() if label not in defined}
    assert not dangling, "{eq} references to labels that no notebook defines:\n" + _listing(dangling)
