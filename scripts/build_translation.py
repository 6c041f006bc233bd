"""Build one translated edition of the book, or refresh the translation catalogues.

    python scripts/build_translation.py zh_CN            # HTML into _build/html/zh
    python scripts/build_translation.py --update zh_CN   # English text changed: refresh locale/zh_CN's catalogues
    python scripts/build_translation.py --templates DIR  # only the English book's message templates (.pot)

The edition is built from the same sources and configuration as the English
book (``_config.yml``), with Sphinx's ``language`` set, so the prose comes
from ``locale/<language>/LC_MESSAGES/book/*.po``; the code and its stored
outputs are those of the English notebooks, and the experiments' kernel-free
frames are drawn again with their texts in the language (it does not need the
English build, and ``make book`` runs the two side by side). Warnings are errors, as in
``make book``. ``--update`` regenerates the message templates with Sphinx's
gettext builder and merges them into the catalogues with sphinx-intl: a
message whose English changed becomes fuzzy (the tests then fail until it is
translated again), a new one untranslated.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "book" / "_ext"))

from nnbook_sphinx import EDITIONS  # noqa: E402


def build(language: str, builder: str = "html", outdir: Path | None = None) -> int:
    from jupyter_book.sphinx import build_sphinx

    folder = EDITIONS[language]["folder"] if builder == "html" else ""
    out = outdir or (ROOT / "_build" / builder / folder)
    overrides = {"language": language, "latex_individualpages": False}
    if builder == "gettext":
        overrides["gettext_compact"] = False
    result = build_sphinx(str(ROOT), str(out), noconfig=True, path_config=str(ROOT / "_config.yml"),
                          confoverrides=overrides, doctreedir=str(ROOT / "_build" / f".doctrees-{builder}-{language}"),
                          builder=builder, warningiserror=True, keep_going=True, quiet=True)
    return 0 if result in (0, None) else 1


def templates(out: Path) -> int:
    """The English book's messages, one ``.pot`` per document, as Sphinx's gettext builder extracts them."""
    shutil.rmtree(out, ignore_errors=True)
    return build("en", "gettext", out)


def update(language: str) -> int:
    pot = ROOT / "_build" / "gettext"
    if templates(pot):
        return 1
    return subprocess.call([sys.executable, "-m", "sphinx_intl", "update", "-p", str(pot), "-l", language,
                            "-d", str(ROOT / "locale")], cwd=ROOT)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("language", nargs="?", choices=[k for k in EDITIONS if k != "en"])
    parser.add_argument("--update", action="store_true", help="refresh the catalogues instead of building the HTML")
    parser.add_argument("--templates", metavar="DIR", type=Path, help="write the English message templates to DIR")
    args = parser.parse_args(argv)
    if args.templates:
        return templates(args.templates)
    if not args.language:
        parser.error("a language is needed")
    return update(args.language) if args.update else build(args.language)


if __name__ == "__main__":
    sys.exit(main())
