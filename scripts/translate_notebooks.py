"""Generate the Chinese notebooks, book/zh/*.ipynb, from the English ones and the catalogues.

Every chapter notebook of `_toc.yml` (book/*.ipynb) gets a Chinese copy,
book/zh/<same name>.ipynb, for Colab, Binder and download:

* each markdown cell is parsed the way the book's Sphinx build parses it
  (myst-parser's markdown-it, with the extensions of `_config.yml`), and every
  block that Sphinx's gettext builder makes a message of (a paragraph, a
  heading, a list item's paragraph, a table cell, an admonition's title and
  the paragraphs inside it, a display-maths block) is replaced, as a whole,
  by its msgstr from locale/zh_CN/LC_MESSAGES/book/<document>.po; the MyST
  around it (heading marks, bullets, fences, labels, `$$ ... $$ (label)`)
  stays as it is;
* a block without a translation (no catalogue, no message, an empty msgstr or
  a fuzzy one) stays in English and is counted in the report;
* code cells, outputs, execution counts, cell metadata and the notebook's
  widget state are copied unchanged; the notebook's metadata gains
  ``nnbook.language`` ("zh_CN"), and the first cell, the install cell, is
  `scripts/sync_install_cell.py`'s text for that language (one more line,
  which sets NNBOOK_LANG so that the exercise checks answer in Chinese).

Usage:
  python scripts/translate_notebooks.py            write book/zh/*.ipynb, print the report
  python scripts/translate_notebooks.py --check    exit 1 when a committed notebook differs
                                                   from what would be generated (or is missing,
                                                   or has no English notebook any more)
  python scripts/translate_notebooks.py --out DIR  write the notebooks into DIR instead
  -v / --verbose                                   list every untranslated block
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import yaml
from babel.messages.pofile import read_po
from docutils.parsers.rst import directives as rst_directives
from docutils.parsers.rst.languages import en as rst_english
from docutils.parsers.rst.directives.admonitions import Admonition, BaseAdmonition
from docutils.utils import new_document
from markdown_it.renderer import RendererHTML
from myst_parser.config.main import MdParserConfig
from myst_parser.parsers.directives import parse_directive_text
from myst_parser.parsers.mdit import create_md_parser

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from sync_install_cell import install_source, repository_url  # noqa: E402

LANGUAGE = "zh_CN"
OUT_DIR = ROOT / "book" / "zh"
LOCALE_DIR = ROOT / "locale" / LANGUAGE / "LC_MESSAGES"
MATH_TOKENS = ("math_block", "math_block_label", "amsmath")


# --------------------------------------------------------------------------- which notebooks

def chapter_notebooks(root: Path = ROOT) -> list[Path]:
    """The notebooks that `_toc.yml` lists (book/*.ipynb), in the order of the book."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]] + [c["file"] for part in toc.get("parts", []) for c in part.get("chapters", [])]
    found = []
    for name in files:
        path = root / (name + ".ipynb")
        if path.parent == root / "book" and path.exists():
            found.append(path)
    return found


# --------------------------------------------------------------------------- catalogues

@dataclass
class Catalogue:
    path: Path
    exists: bool
    translated: dict[str, str] = field(default_factory=dict)   # msgid -> msgstr
    fuzzy: set[str] = field(default_factory=set)
    empty: set[str] = field(default_factory=set)


def load_catalogue(docname: str, locale_dir: Path = LOCALE_DIR) -> Catalogue:
    """The messages of one document (docname as Sphinx names it, e.g. book/02_neuron)."""
    path = locale_dir / (docname + ".po")
    cat = Catalogue(path, path.exists())
    if not cat.exists:
        return cat
    with open(path, "rb") as f:
        for msg in read_po(f):
            if not msg.id or not isinstance(msg.id, str):
                continue
            if msg.fuzzy and msg.string:
                cat.fuzzy.add(msg.id)
            elif not msg.string:
                cat.empty.add(msg.id)
            else:
                cat.translated[msg.id] = msg.string
    return cat


# --------------------------------------------------------------------------- the blocks of a cell

def markdown_parser(root: Path = ROOT):
    """markdown-it as the book's build configures it (myst_enable_extensions of _config.yml)."""
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    extensions = set(config.get("parse", {}).get("myst_enable_extensions", []))
    md = create_md_parser(MdParserConfig(enable_extensions=extensions), RendererHTML)
    md.disable("front_matter", ignoreInvalid=True)    # as myst-nb does for notebook cells
    return md


@dataclass
class Block:
    """One message of a markdown cell: its msgid and where its text sits in the cell."""
    kind: str                 # paragraph, heading, cell, math, title
    msgid: str
    first: int                # first and last line (0-based, inclusive) of the block in the cell
    last: int
    text: str                 # the text to find in those lines (the token's content)
    column: int | None = None   # table cells: index of the cell in its row


@dataclass
class Unsupported:
    kind: str
    line: int
    detail: str


_DOCUMENT = new_document("<translate_notebooks>")


def _directive_class(name: str):
    """The docutils directive class of `name` (admonitions and the like), or None."""
    try:
        cls, _ = rst_directives.directive(name, rst_english, _DOCUMENT)
    except Exception:  # noqa: BLE001 - any failure means: a directive we do not know
        return None
    return cls


def extract_blocks(md, text: str, offset: int = 0, env: dict | None = None) -> tuple[list[Block], list[Unsupported]]:
    """The translatable blocks of MyST `text` whose first line is line `offset` of the cell.

    The rule is Sphinx's (sphinx.util.nodes.extract_messages) applied to the
    nodes myst-parser makes: a paragraph, a heading or a table cell gives its
    inline source with newlines turned into spaces, stripped; a maths block
    gives its content as it is; a directive's title and body are visited the
    way the directive parses them.
    """
    tokens = md.parse(text, env if env is not None else {})
    blocks: list[Block] = []
    unsupported: list[Unsupported] = []
    parents: list[str] = []
    column = 0
    for tok in tokens:
        if tok.nesting == 1:
            parents.append(tok.type)
            if tok.type == "tr_open":
                column = 0
            continue
        if tok.nesting == -1:
            if parents:
                parents.pop()
            if tok.type in ("th_close", "td_close"):
                column += 1
            continue
        start, end = (tok.map[0] + offset, tok.map[1] + offset - 1) if tok.map else (None, None)
        if tok.type == "inline":
            parent = parents[-1] if parents else ""
            msgid = tok.content.replace("\n", " ").strip()
            if not msgid:
                continue
            if parent == "paragraph_open":
                blocks.append(Block("paragraph", msgid, start, end, tok.content))
            elif parent == "heading_open":
                blocks.append(Block("heading", msgid, start, end, tok.content))
            elif parent in ("th_open", "td_open"):
                blocks.append(Block("cell", msgid, start, start, tok.content, column))
            else:
                unsupported.append(Unsupported(parent or "inline", start, msgid[:60]))
        elif tok.type in MATH_TOKENS:
            if tok.content:
                blocks.append(Block("math", tok.content, start, end, tok.content))
        elif tok.type in ("fence", "colon_fence") and tok.info.strip().startswith("{"):
            b, u = _directive_blocks(md, tok, offset, env)
            blocks += b
            unsupported += u
    return blocks, unsupported


def _directive_blocks(md, tok, offset: int, env):
    info = tok.info.strip()
    name, _, first_line = info[1:].partition("}")
    name, first_line = name.strip(), first_line.strip()
    start = tok.map[0] + offset
    cls = _directive_class(name)
    if cls is None or not issubclass(cls, BaseAdmonition):
        return [], [Unsupported("directive", start, name)]
    parsed = parse_directive_text(cls, first_line, tok.content, line=start + 1)
    if not (cls.required_arguments or cls.optional_arguments) and first_line:
        # the body starts on the fence's own line: not written in this book
        return [], [Unsupported("directive", start, f"{name} with text on its first line")]
    blocks: list[Block] = []
    if issubclass(cls, Admonition) and parsed.arguments:
        title = parsed.arguments[0]
        blocks.append(Block("title", title.replace("\n", " ").strip(), start, start, title))
    body = "\n".join(parsed.body)
    inner, unsupported = extract_blocks(md, body + "\n", start + 1 + parsed.body_offset, env)
    return blocks + inner, unsupported


# --------------------------------------------------------------------------- replacing blocks

class PlacementError(ValueError):
    """The block's text is not where the parser says it is: leave the block alone."""


def _split_row(line: str) -> list[tuple[int, int]]:
    """Spans (start, end) of the cells of a table row, between unescaped pipes, as markdown-it splits it."""
    spans, begin, escaped = [], 0, False
    body_start = len(line) - len(line.lstrip())
    body_end = len(line.rstrip())
    if line[body_start:body_start + 1] == "|":
        body_start += 1
    if body_end > body_start and line[body_end - 1] == "|" and line[body_end - 2:body_end - 1] != "\\":
        body_end -= 1
    begin = body_start
    for i in range(body_start, body_end):
        ch = line[i]
        if ch == "|" and not escaped:
            spans.append((begin, i))
            begin = i + 1
        escaped = ch == "\\"
    spans.append((begin, body_end))
    return spans


def locate(lines: list[str], block: Block) -> tuple[int, int, str]:
    """(start, end, continuation indent) of the block's text in the cell, as offsets into "".join(lines)."""
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    source = "".join(lines)
    if block.kind == "cell":
        line = lines[block.first].rstrip("\r\n")
        spans = _split_row(line)
        if block.column >= len(spans):
            raise PlacementError("table row has fewer cells than the parser found")
        a, b = spans[block.column]
        raw = line[a:b]
        a += len(raw) - len(raw.lstrip())
        b -= len(raw) - len(raw.rstrip())
        if line[a:b].replace("\\|", "|") != block.text:
            raise PlacementError(f"table cell {line[a:b]!r} is not {block.text!r}")
        return starts[block.first] + a, starts[block.first] + b, ""
    if block.kind in ("math", "title"):
        region_start, region_end = starts[block.first], starts[block.last + 1]
        found = source.find(block.text, region_start, region_end)
        if found < 0 or source.find(block.text, found + 1, region_end) >= 0:
            raise PlacementError(f"{block.kind} text not found exactly once in its lines")
        return found, found + len(block.text), ""
    # paragraphs and headings: one content line per source line, each after its
    # line's prefix (indentation, bullet, heading marks)
    content = block.text.split("\n")
    last = block.first + len(content) - 1
    if block.kind == "heading" and block.last > last:        # a setext heading: its underline stays
        pass
    elif last != block.last:
        raise PlacementError("the block's lines do not match its content")
    first_line = lines[block.first].rstrip("\r\n")
    head = content[0].strip()
    if block.kind == "heading":     # after the opening marks; closing marks, if any, stay
        marks = len(first_line) - len(first_line.lstrip(" #"))
        col = first_line.find(head, marks)
    else:                           # the line is its prefix, then the content
        col = len(first_line.rstrip()) - len(head) if first_line.rstrip().endswith(head) else -1
    if not head or col < 0:
        raise PlacementError("first line not found")
    for k, piece in enumerate(content[1:], start=1):
        if piece.strip() and piece.strip() not in lines[block.first + k]:
            raise PlacementError(f"line {k} of the block not found")
    if last > block.first:
        tail = content[-1].rstrip()
        end_col = lines[last].rstrip("\r\n").rfind(tail) + len(tail)
        following = lines[block.first + 1]
        indent = following[:len(following) - len(following.lstrip())]
    else:
        end_col = col + len(head)
        # a paragraph of one line that becomes several: continue under its text
        indent = " " * col if not first_line[:col].strip(" \t-*+0123456789.)") else ""
    return starts[block.first] + col, starts[last] + end_col, indent


def translate_markdown(md, source: str, catalogue: Catalogue, env: dict | None = None):
    """(translated source, blocks translated, blocks left in English, unsupported parts, unplaced blocks)."""
    lines = source.splitlines(keepends=True)
    blocks, unsupported = extract_blocks(md, source, 0, env)
    edits, done, left, unplaced = [], [], [], []
    for block in blocks:
        target = catalogue.translated.get(block.msgid)
        if target is None:
            left.append(block)
            continue
        if target == block.msgid:
            done.append(block)
            continue
        try:
            a, b, indent = locate(lines, block)
        except PlacementError as err:
            unplaced.append((block, str(err)))
            continue
        if block.kind == "paragraph":
            target = target.replace("\n", "\n" + indent)
        elif block.kind in ("heading", "cell", "title"):         # these take one line
            target = " ".join(target.split("\n"))
        if block.kind == "cell":                                 # markdown-it unescaped the cell's pipes
            target = target.replace("|", "\\|")
        edits.append((a, b, target))
        done.append(block)
    edits.sort()
    for (a1, b1, _), (a2, _, _) in zip(edits, edits[1:]):
        if a2 < b1:
            raise RuntimeError(f"overlapping blocks at {a1}..{b1} and {a2}")
    out = source
    for a, b, target in reversed(edits):
        out = out[:a] + target + out[b:]
    return out, done, left, unsupported, unplaced


# --------------------------------------------------------------------------- notebooks

@dataclass
class Report:
    name: str
    catalogue: Catalogue
    translated: int = 0
    untranslated: list = field(default_factory=list)    # (cell index, Block, reason)
    unsupported: list = field(default_factory=list)     # (cell index, Unsupported)
    unplaced: list = field(default_factory=list)        # (cell index, Block, why)
    unused: list = field(default_factory=list)          # translated msgids no markdown block uses


def translate_notebook(path: Path, md=None, catalogue: Catalogue | None = None,
                       install: str | None = None) -> tuple[str, Report]:
    """The Chinese notebook of `path`, as the text of a .ipynb file, and its report."""
    md = md or markdown_parser()
    docname = path.relative_to(ROOT).with_suffix("").as_posix()
    catalogue = catalogue or load_catalogue(docname)
    install = install if install is not None else install_source(repository_url(), LANGUAGE)
    nb = nbformat.read(path, as_version=4)
    report = Report(path.name, catalogue)
    used = set()
    env: dict = {}
    for index, cell in enumerate(nb.cells):
        if index == 0:
            if cell.cell_type != "code" or cell.metadata.get("nnbook", {}).get("role") != "install":
                raise ValueError(f"{path.name}: the first cell is not the install cell "
                                 "(run python scripts/sync_install_cell.py)")
            cell.source = install
            continue
        if cell.cell_type != "markdown" or not cell.source.strip():
            continue
        new, done, left, unsupported, unplaced = translate_markdown(md, cell.source, catalogue, env)
        cell.source = new
        report.translated += len(done)
        used.update(b.msgid for b in done)
        for block in left:
            reason = ("fuzzy" if block.msgid in catalogue.fuzzy else
                      "empty msgstr" if block.msgid in catalogue.empty else
                      "no catalogue" if not catalogue.exists else "not in catalogue")
            report.untranslated.append((index, block, reason))
        report.unsupported += [(index, u) for u in unsupported]
        report.unplaced += [(index, b, why) for b, why in unplaced]
    report.unused = sorted(set(catalogue.translated) - used)
    nb.metadata["nnbook"] = {"language": LANGUAGE,
                             "generated_from": [path.relative_to(ROOT).as_posix(),
                                                catalogue.path.relative_to(ROOT).as_posix()]}
    text = nbformat.writes(nb)
    if not text.endswith("\n"):
        text += "\n"          # as nbformat.write does
    return text, report


def generate(paths: list[Path] | None = None) -> dict[str, tuple[str, Report]]:
    """{file name: (notebook text, report)} for every chapter notebook."""
    md = markdown_parser()
    install = install_source(repository_url(), LANGUAGE)
    return {p.name: translate_notebook(p, md, install=install) for p in (paths or chapter_notebooks())}


def print_report(results: dict, verbose: bool = False, stream=sys.stdout) -> None:
    total_done = total_left = 0
    for name, (_, r) in results.items():
        left = len(r.untranslated) + len(r.unplaced)
        total_done += r.translated
        total_left += left
        where = r.catalogue.path.relative_to(ROOT) if r.catalogue.exists else "no catalogue"
        print(f"book/zh/{name}: {r.translated} blocks translated, {left} in English ({where})", file=stream)
        reasons: dict[str, int] = {}
        for _, _, reason in r.untranslated:
            reasons[reason] = reasons.get(reason, 0) + 1
        if reasons and r.catalogue.exists:
            print("    " + ", ".join(f"{n} {reason}" for reason, n in sorted(reasons.items())), file=stream)
        show = verbose or (r.catalogue.exists and len(r.untranslated) <= 40)
        if show:
            for index, block, reason in r.untranslated:
                print(f"    cell {index}, {block.kind} ({reason}): {block.msgid[:70]!r}", file=stream)
        for index, block, why in r.unplaced:
            print(f"    cell {index}, {block.kind} NOT PLACED ({why}): {block.msgid[:70]!r}", file=stream)
        for index, u in r.unsupported:
            print(f"    cell {index}, line {u.line}: {u.kind} not handled, left as it is: {u.detail!r}", file=stream)
        if r.unused:
            print(f"    {len(r.unused)} translated message(s) match no markdown block "
                  "(text of outputs, or an outdated catalogue)", file=stream)
            if verbose:
                for msgid in r.unused:
                    print(f"      {msgid[:70]!r}", file=stream)
    print(f"{total_done} blocks translated, {total_left} in English", file=stream)


def stale_files(results: dict, out_dir: Path = OUT_DIR) -> list[str]:
    """The notebooks of out_dir that differ from `results`, are missing, or have no English notebook."""
    stale = [name for name, (text, _) in results.items()
             if not (out_dir / name).exists() or (out_dir / name).read_bytes() != text.encode("utf-8")]
    stale += sorted(p.name + " (no English notebook)" for p in out_dir.glob("*.ipynb") if p.name not in results)
    return stale


def write_notebooks(results: dict, out_dir: Path = OUT_DIR) -> None:
    """Write the generated notebooks into out_dir (a file that would not change is not touched)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, (text, _) in results.items():
        target = out_dir / name
        if not target.exists() or target.read_bytes() != text.encode("utf-8"):
            target.write_bytes(text.encode("utf-8"))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with book/zh instead of writing")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="folder to write the notebooks into")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every untranslated block")
    args = parser.parse_args(argv)
    results = generate()
    if args.check:
        stale = stale_files(results, args.out)
        if stale:
            print("out of date (run python scripts/translate_notebooks.py): " + ", ".join(stale))
            return 1
        print(f"{len(results)} Chinese notebooks are up to date")
        return 0
    write_notebooks(results, args.out)
    print_report(results, args.verbose)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
