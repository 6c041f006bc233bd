"""The glossary of the notation appendix: every bold key term of the book, with one Chinese form each."""
import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("glossary", ROOT / "scripts" / "glossary.py")
glossary = importlib.util.module_from_spec(_spec)
sys.modules["glossary"] = glossary        # dataclasses look their module up there
_spec.loader.exec_module(glossary)


@pytest.mark.parametrize("text, expected", [
    ("gradient descent (梯度下降)", ("gradient descent", "梯度下降")),
    ("stochastic gradient descent (随机梯度下降, SGD)", ("stochastic gradient descent", "随机梯度下降")),
    ("area under the curve (AUC, 曲线下面积)", ("area under the curve", "曲线下面积")),
    ("Hyperbolic tangent (双曲正切).", ("Hyperbolic tangent", "双曲正切")),
    ("F1 score (F1 值)", ("F1 score", "F1 值")),
    ("Assumption:", None),                      # bold without Chinese is not a term
    ("梯度", None),                              # no English
])
def test_parse_bold_reads_english_and_chinese(text, expected):
    assert glossary.parse_bold(text) == expected


def test_every_bold_term_of_the_book_is_in_the_glossary_with_its_chinese_form():
    terms = glossary.bold_terms()
    assert len(terms) > 100, f"only {len(terms)} bold terms found: is the pattern still right?"
    found = glossary.problems(glossary.load(), terms)
    assert not found, f"{len(found)} bold terms missing or inconsistent:\n" + "\n".join(found)


def test_problems_reports_a_missing_term_and_another_chinese_form():
    entries = [glossary.Entry("gradient", "梯度", (), "", "")]
    terms = [glossary.BoldTerm("Gradient", "梯度", "a.ipynb"), glossary.BoldTerm("gradient", "坡度", "b.ipynb"),
             glossary.BoldTerm("loss", "损失", "c.ipynb")]
    found = glossary.problems(entries, terms)
    assert len(found) == 2, found
    assert "b.ipynb" in found[0] and "坡度" in found[0]
    assert "c.ipynb" in found[1] and "not in the glossary" in found[1]


def test_no_english_form_names_two_glossary_entries():
    entries = glossary.load()
    glossary.lookup(entries)        # raises on a clash
    headwords = [e.english.casefold() for e in entries]
    assert len(headwords) == len(set(headwords))
    two = [glossary.Entry("layer", "层", (), "", ""), glossary.Entry("layers", "层级", ("layer",), "", "")]
    with pytest.raises(ValueError, match="names both"):
        glossary.lookup(two)


def test_appendix_shows_exactly_the_rendered_glossary():
    nb = json.loads(glossary.APPENDIX.read_text(encoding="utf-8"))
    shown = "".join(glossary.table_cell(nb)["source"])
    assert shown == glossary.render(glossary.load()), "run: python scripts/glossary.py --write"
