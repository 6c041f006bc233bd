"""The catalogue of the experiments' figure texts: collect, compile, check.

Usage (from the repository root)::

    python scripts/figure_messages.py update    # draw every experiment, merge its texts into each figures.po
    python scripts/figure_messages.py compile   # write figures.mo next to each figures.po
    python scripts/figure_messages.py check     # exit 1 if a catalogue lacks a text or is not compiled

``update`` draws each experiment of ``nnbook.experiments.REGISTRY`` in English
at its defaults, along a walk of its controls and with each option of each
menu, and collects every text on the figure as a template
(:func:`nnbook.figure_text.template`: numbers and mathtext become ``{k}``),
with the controls' labels and the experiments' titles. Translations of
unchanged texts are kept; a text no longer drawn is dropped.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import matplotlib  # noqa: E402

matplotlib.use("Agg")

from babel.messages.catalog import Catalog  # noqa: E402
from babel.messages.pofile import read_po  # noqa: E402
from nnbook_messages import mo_bytes, po_bytes  # noqa: E402  (the same .po layout and .mo as nnbook.po's)

from nnbook.figure_text import DOMAIN, has_words, template  # noqa: E402
from nnbook.i18n import LOCALE_DIR  # noqa: E402

HEADER = """\
# The texts of the experiments' figures (titles, axes, legends, annotations),
# the controls' labels and the experiments' titles. Numbers and mathtext are
# fields {0}, {1}, ... that a translation may reorder.
# Collect: python scripts/figure_messages.py update; compile: ... compile
#"""


def figure_texts(experiment) -> list[str]:
    """Every text with words on the experiment's figure, over the settings :func:`collect` visits."""
    from matplotlib.text import Text
    from nnbook.experiments.core import FigureView

    settings = [experiment.defaults()] + experiment.walk(40)
    for control in experiment.controls:
        for option in control.options or []:
            settings.append(dict(experiment.defaults(), **{control.name: option}))
    view, found = FigureView(experiment), []
    for params in settings:
        view.show(experiment.run(**params))
        view.figure.canvas.draw()
        found += [a.get_text() for a in view.figure.findobj(Text) if has_words(a.get_text())]
    return found


def collect() -> dict:
    """``{message: [experiment names]}`` in a stable order."""
    from nnbook.experiments import REGISTRY

    found: dict = {}
    for name, experiment in sorted(REGISTRY.items()):
        texts = [experiment.title] + [c.label for c in experiment.controls] + figure_texts(experiment)
        for text in texts:
            message = template(text)[0]
            if name not in found.setdefault(message, []):
                found[message].append(name)
    return dict(sorted(found.items()))


def catalogues() -> list[Path]:
    return sorted(LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def read(path: Path) -> Catalog:
    with open(path, "rb") as f:
        return read_po(f, domain=DOMAIN)


def update(languages=("zh_CN",)) -> int:
    messages = collect()
    for lang in languages:
        path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
        old = read(path) if path.exists() else Catalog(locale=lang, domain=DOMAIN)
        new = Catalog(locale=lang, domain=DOMAIN, project="nnbook", version="0.1.0", header_comment=HEADER,
                      fuzzy=False)
        for message, names in messages.items():
            before = old.get(message)
            entry = new.add(message, before.string if before is not None else "",
                            auto_comments=[", ".join(names)])
            entry.flags = set()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(po_bytes(new))
        todo = sum(1 for m in new if m.id and not m.string)
        print(f"{path.relative_to(ROOT)}: {len(messages)} messages, {todo} untranslated")
    return 0


def compile_all() -> int:
    for path in catalogues():
        path.with_suffix(".mo").write_bytes(mo_bytes(read(path)))
    return 0


def problems(path: Path, messages: dict | None = None) -> list[str]:
    """What is wrong with one catalogue: untranslated or fuzzy texts, fields lost, a stale .mo,
    and (when ``messages`` is given) texts the experiments draw that it lacks."""
    import string

    catalog, found = read(path), []
    for m in catalog:
        if not m.id:
            continue
        if not m.string or m.fuzzy:
            found.append(f"untranslated: {m.id!r}")
            continue
        fields = sorted(f for _, f, _, _ in string.Formatter().parse(m.id) if f)
        if sorted(f for _, f, _, _ in string.Formatter().parse(m.string) if f) != fields:
            found.append(f"fields differ: {m.id!r} -> {m.string!r}")
    if messages is not None:
        found += [f"missing: {message!r}" for message in messages if catalog.get(message) is None]
    mo = path.with_suffix(".mo")
    if not mo.exists() or mo.read_bytes() != mo_bytes(catalog):
        found.append(f"{mo.name} is not what {path.name} compiles to (run compile)")
    return found


def check() -> int:
    messages = collect()
    bad = 0
    for path in catalogues():
        found = problems(path, messages)
        bad += len(found)
        print("\n".join(found) + f"\n{path.relative_to(ROOT)}: {len(messages)} texts, {len(found)} problems")
    return 1 if bad else 0


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    commands = {"update": update, "compile": compile_all, "check": check}
    if len(argv) != 1 or argv[0] not in commands:
        print(__doc__)
        return 2
    return commands[argv[0]]()


if __name__ == "__main__":
    sys.exit(main())
