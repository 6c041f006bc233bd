"""The Chinese edition's text: every message of the English book translated, none fuzzy, the
glossary's terms used, the markup kept.

The English messages are extracted afresh by Sphinx's gettext builder
(``scripts/build_translation.py --templates``), so an edit to the English
text that was not carried into ``locale/zh_CN`` fails here, with the count
and the messages, until ``make translations`` marks it and it is translated.
"""
from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

babel_pofile = pytest.importorskip("babel.messages.pofile")

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = ROOT / "locale" / "zh_CN" / "LC_MESSAGES"
sys.path.insert(0, str(ROOT / "book" / "_ext"))


def _module(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


glossary = _module("glossary", ROOT / "scripts" / "glossary.py")
check_po = _module("check_po", ROOT / "scripts" / "check_po.py")


def read(path: Path):
    with open(path, "rb") as f:
        return babel_pofile.read_po(f)


@pytest.fixture(scope="module")
def templates(tmp_path_factory):
    out = tmp_path_factory.mktemp("gettext")
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "build_translation.py"), "--templates", str(out)],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    found = {p.relative_to(out).with_suffix("").as_posix(): read(p) for p in out.rglob("*.pot")}
    assert len(found) >= 13, sorted(found)
    return found


@pytest.fixture(scope="module")
def catalogues():
    return {p.relative_to(CATALOGUES).with_suffix("").as_posix(): read(p) for p in CATALOGUES.rglob("*.po")}


def test_every_message_of_the_english_book_is_translated_and_none_is_fuzzy(templates, catalogues):
    total, missing, fuzzy = 0, [], []
    for doc, pot in sorted(templates.items()):
        po = catalogues.get(doc)
        for message in pot:
            if not message.id:
                continue
            total += 1
            translated = po.get(message.id, context=message.context) if po is not None else None
            if translated is None or not translated.string:
                missing.append(f"{doc}: {message.id[:90]!r}")
            elif translated.fuzzy:
                fuzzy.append(f"{doc}: {message.id[:90]!r}")
    print(f"\n{total} messages in the English book; {len(missing)} untranslated, {len(fuzzy)} fuzzy")
    assert not missing and not fuzzy, (f"{len(missing)} of {total} messages untranslated, {len(fuzzy)} fuzzy "
                                       "(run `make translations`, then translate them):\n"
                                       + "\n".join((missing + fuzzy)[:40]))


def test_translations_keep_maths_code_roles_and_links():
    paths = sorted(str(p) for p in CATALOGUES.rglob("*.po"))
    assert check_po.main(paths) == 0


def test_defined_terms_use_the_glossary_chinese_form(catalogues):
    """Where the English defines a term (``**term (中文)**``), the Chinese edition writes the
    glossary's Chinese form in bold, with the English in brackets after it."""
    terms = glossary.lookup(glossary.load())
    problems, checked = [], 0
    for doc, po in catalogues.items():
        for message in po:
            if not message.id or not message.string:
                continue
            for bold in glossary._BOLD.findall(message.id):
                parsed = glossary.parse_bold(bold)
                entry = terms.get(parsed[0].lower()) if parsed else None
                if entry is None:
                    continue
                checked += 1
                if f"**{entry.chinese}**" not in message.string:
                    problems.append(f"{doc}: {parsed[0]!r} should be **{entry.chinese}** in {message.string[:80]!r}")
    print(f"\n{checked} term definitions checked")
    assert checked > 100 and not problems, "\n".join(problems)


def test_the_editions_title_is_the_index_pages_translation(catalogues):
    from nnbook_sphinx import EDITIONS
    index = catalogues["book/index"]
    assert index.get(EDITIONS["en"]["title"]).string == EDITIONS["zh_CN"]["title"]


def test_edition_links_point_at_the_same_page_in_the_other_edition():
    from nnbook_sphinx import edition_link
    assert edition_link("book/02_neuron", "en", "zh_CN") == "../zh/book/02_neuron.html"
    assert edition_link("book/02_neuron", "zh_CN", "en") == "../../book/02_neuron.html"
    assert edition_link("genindex", "en", "zh_CN") == "zh/genindex.html"
    assert edition_link("genindex", "zh_CN", "en") == "../genindex.html"
