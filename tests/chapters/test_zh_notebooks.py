"""The Chinese notebooks, book/zh/*.ipynb: generated, complete, and the English code.

They are written by scripts/translate_notebooks.py from the English notebooks
and the catalogues in locale/zh_CN; nbval does not run them (book/conftest.py),
so these tests prove that they are what the script makes, that they hold the
English code and outputs, that a translated chapter has no English prose
left, and that one of them runs and reproduces its outputs.
"""
from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbval.plugin import (coalesce_streams, find_comment_markers, find_metadata_tags,
                          transform_streams_for_comparison)

ROOT = Path(__file__).resolve().parents[2]
ZH = ROOT / "book" / "zh"
sys.path.insert(0, str(ROOT / "scripts"))
import execute_notebooks  # noqa: E402
import sync_install_cell  # noqa: E402
import translate_notebooks as tn  # noqa: E402

ENGLISH = tn.chapter_notebooks()
LANG_LINE = 'os.environ["NNBOOK_LANG"] = "zh_CN"\n'
# what nbval leaves out of a comparison (nbval.plugin.IPyNbFile.skip_compare, without --nbdime)
NBVAL_SKIP = ("metadata", "traceback", "prompt_number", "output_type", "name", "execution_count",
              "application/vnd.jupyter.widget-view+json", "image/png", "image/jpeg")


def load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def catalogue(path):
    return tn.load_catalogue(path.relative_to(ROOT).with_suffix("").as_posix())


def fully_translated(path):
    cat = catalogue(path)
    return cat.exists and cat.translated and not cat.empty and not cat.fuzzy


TRANSLATED = [p for p in ENGLISH if fully_translated(p)]


@pytest.fixture(scope="module")
def generated():
    return tn.generate()


def test_every_chapter_has_a_chinese_notebook_and_nothing_else_is_there():
    assert ENGLISH and {p.name for p in ENGLISH} == {p.name for p in ZH.glob("*.ipynb")}


def test_the_committed_notebooks_are_what_the_script_generates(generated, tmp_path, monkeypatch):
    tn.write_notebooks(generated, tmp_path)
    differ = [p.name for p in ENGLISH if (tmp_path / p.name).read_bytes() != (ZH / p.name).read_bytes()]
    assert not differ, f"book/zh out of date: {differ}; run python scripts/translate_notebooks.py"
    # --check says so too, and fails on a changed, a missing or an orphaned notebook
    monkeypatch.setattr(tn, "generate", lambda: generated)
    assert tn.main(["--check"]) == 0
    assert tn.main(["--check", "--out", str(tmp_path)]) == 0
    nb = load(tmp_path / "02_neuron.ipynb")
    nb["cells"][1]["source"][1] = "# The neuron and the layer\n"
    (tmp_path / "02_neuron.ipynb").write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    (tmp_path / "07_deep_networks.ipynb").unlink()
    (tmp_path / "10_old_chapter.ipynb").write_text("{}")
    assert tn.stale_files(generated, tmp_path) == ["02_neuron.ipynb", "07_deep_networks.ipynb",
                                                   "10_old_chapter.ipynb (no English notebook)"]
    assert tn.main(["--check", "--out", str(tmp_path)]) == 1


def test_the_catalogues_of_the_translated_chapters_match_their_blocks(generated):
    """Every translated message lands in a block, and every block is placed: the parser reads the cells as Sphinx did."""
    assert {p.stem for p in TRANSLATED} == {p.stem for p in ENGLISH}, "every chapter is translated (test_translation counts the messages)"
    for path in TRANSLATED:
        report = generated[path.name][1]
        assert report.translated > 0
        assert not report.untranslated, f"{path.name}: {[(i, b.msgid[:60]) for i, b, _ in report.untranslated]}"
        assert not report.unplaced and not report.unsupported, f"{path.name}: {report.unplaced} {report.unsupported}"
        assert not report.unused, f"{path.name}: messages that match no block: {report.unused[:5]}"


@pytest.mark.parametrize("path", ENGLISH, ids=lambda p: p.stem)
def test_code_cells_outputs_and_metadata_are_the_english_ones(path):
    en, zh = load(path), load(ZH / path.name)
    assert {k: v for k, v in zh.items() if k not in ("cells", "metadata")} == \
           {k: v for k, v in en.items() if k not in ("cells", "metadata")}
    assert zh["metadata"].pop("nnbook")["language"] == "zh_CN"
    assert zh["metadata"] == en["metadata"]        # language_info, kernelspec, widget state
    assert len(zh["cells"]) == len(en["cells"])
    install_en, install_zh = en["cells"][0], zh["cells"][0]
    assert install_zh["metadata"] == install_en["metadata"] and install_zh["outputs"] == install_en["outputs"]
    assert install_zh["source"] == install_en["source"][:4] + [LANG_LINE] + install_en["source"][4:], \
        "the Chinese install cell is the English one plus the NNBOOK_LANG line after the imports"
    for i, (a, b) in enumerate(zip(en["cells"][1:], zh["cells"][1:]), start=1):
        if a["cell_type"] == "code":
            assert b == a, f"{path.name}: code cell {i} differs from the English one"
        else:
            assert {k: v for k, v in b.items() if k != "source"} == {k: v for k, v in a.items() if k != "source"}


def test_the_install_cells_come_from_sync_install_cell():
    url = sync_install_cell.repository_url()
    for path in sorted(ZH.glob("*.ipynb")):
        first = load(path)["cells"][0]
        assert "".join(first["source"]) == sync_install_cell.install_source(url, "zh_CN")
    assert sync_install_cell.main(["--check"]) == 0       # English and Chinese notebooks


@pytest.mark.parametrize("path", TRANSLATED, ids=lambda p: p.stem)
def test_a_translated_chapter_keeps_its_structure_and_no_english_prose(path):
    """Parse the Chinese cells again: the same blocks in the same places, none of them a translated msgid."""
    cat = catalogue(path)
    english_blocks = {m for m, s in cat.translated.items() if s != m}
    md = tn.markdown_parser()
    en, zh = load(path), load(ZH / path.name)
    left = []
    for i, (a, b) in enumerate(zip(en["cells"], zh["cells"])):
        if a["cell_type"] != "markdown":
            continue
        blocks_en, _ = tn.extract_blocks(md, "".join(a["source"]))
        blocks_zh, _ = tn.extract_blocks(md, "".join(b["source"]))
        assert [x.kind for x in blocks_zh] == [x.kind for x in blocks_en], \
            f"{path.name}, cell {i}: the translation changed the cell's Markdown structure"
        left += [(i, x.msgid[:70]) for x in blocks_zh if x.msgid in english_blocks]
    assert not left, f"{path.name}: English blocks left in the Chinese notebook: {left}"


def nbval_view(outputs):
    """Outputs as nbval compares them: streams merged, skipped keys dropped, mime types flattened."""
    flat: dict[str, list] = {}
    for out in transform_streams_for_comparison(coalesce_streams(copy.deepcopy(outputs))):
        for key, value in out.items():
            if key in NBVAL_SKIP:
                continue
            items = value.items() if key == "data" else [(key, value)]
            for k, v in items:
                if k not in NBVAL_SKIP:
                    flat.setdefault(k, []).append(v)
    return flat


def test_a_chinese_notebook_runs_and_reproduces_the_english_outputs(tmp_path):
    """The shortest chapter, executed in this environment, compared with the English stored outputs as nbval would."""
    name = "02_neuron.ipynb"
    english = nbformat.read(ROOT / "book" / name, as_version=4)
    nb = execute_notebooks.run(nbformat.read(ZH / name, as_version=4), cwd=tmp_path, timeout=300)
    differ, checks = [], 0
    for i, (ref, cell) in enumerate(zip(english.cells, nb.cells)):
        if ref.cell_type != "code" or ref.execution_count is None:
            continue
        options = dict(find_comment_markers(ref.source))
        options.update(find_metadata_tags(ref.metadata))
        if options.get("skip") or options.get("check") is False:
            continue
        if ref.metadata.get("nnbook", {}).get("role") == "check":
            # the exercise checks answer in the notebook's language (NNBOOK_LANG, set by its install cell)
            text = json.dumps(cell.outputs, ensure_ascii=False)
            assert re.search(r"[\u4e00-\u9fff]", text), f"cell {i}: the check did not answer in Chinese: {text[:300]}"
            checks += 1
        elif nbval_view(cell.outputs) != nbval_view(ref.outputs):
            differ.append(i)
    assert checks, "no exercise check cell was compared"
    assert not differ, f"book/zh/{name}: cells whose outputs differ from the English ones: {differ}"


def test_nbval_does_not_collect_the_chinese_notebooks():
    """`make test` runs pytest --nbval ... tests book: book/conftest.py keeps book/zh out of it."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "--nbval", "--nbval-current-env",
         "-p", "no:cacheprovider", "book"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "book/02_neuron.ipynb::" in done.stdout
    assert "book/zh/" not in done.stdout


SAMPLE = """(sec-x)=
## A *heading* ##

First line of a paragraph
that goes on here.

- item one
  continues
- item two

> quoted text

| a | b \\| c | `x` |
|---|---|---|
| one | two | $t$ |

$$
x = 1
$$ (sample-eqn)

```{admonition} A title
:class: note
Body paragraph.

* nested item
```

:::{note}
Inside a note.
:::

1. numbered item

```python
print("code stays")
```
"""

EXPECTED = """(sec-x)=
## «A *heading*» ##

«First line of a paragraph that goes on here.»

- «item one continues»
- «item two»

> «quoted text»

| «a» | «b \\| c» | `x` |
|---|---|---|
| «one» | «two» | $t$ |

$$«
x = 1
»$$ (sample-eqn)

```{admonition} «A title»
:class: note
«Body paragraph.»

* «nested item»
```

:::{note}
«Inside a note.»
:::

1. numbered item

```python
print("code stays")
```
"""


def test_blocks_are_replaced_whole_with_the_myst_around_them_kept():
    md = tn.markdown_parser()
    blocks, unsupported = tn.extract_blocks(md, SAMPLE)
    assert not unsupported
    assert [b.msgid for b in blocks] == [
        "A *heading*", "First line of a paragraph that goes on here.", "item one continues", "item two",
        "quoted text", "a", "b | c", "`x`", "one", "two", "$t$", "\nx = 1\n", "A title", "Body paragraph.",
        "nested item", "Inside a note.", "numbered item"]
    cat = tn.Catalogue(Path("sample.po"), True,
                       {b.msgid: f"«{b.msgid}»" for b in blocks if b.msgid not in ("`x`", "$t$", "numbered item")},
                       fuzzy={"numbered item"})
    cat.translated["`x`"] = "`x`"     # a message whose msgstr is its msgid counts as translated
    out, done, left, unsupported, unplaced = tn.translate_markdown(md, SAMPLE, cat)
    assert out == EXPECTED
    assert [b.msgid for b in left] == ["$t$", "numbered item"] and not unplaced and len(done) == 15
    assert [b.kind for b in tn.extract_blocks(md, out)[0]] == [b.kind for b in blocks]
