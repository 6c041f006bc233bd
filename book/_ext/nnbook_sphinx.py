"""Sphinx extension of the book: everything the HTML needs, served locally.

At the end of an HTML build it

* copies MathJax from ``assets/node_modules/mathjax`` (installed by
  ``npm ci --prefix assets`` from the lock file) into ``_static/mathjax``, so
  that no page loads anything from a CDN;
* replaces each experiment placeholder (the ``text/html`` that
  :func:`nnbook.widgets.live` emits beside its live widget) with controls that
  work without a kernel: frames of the experiment's figure precomputed here,
  at build time, for every value of its ``static`` controls, and a small
  script that shows the frame matching the controls.
"""
from __future__ import annotations

import html
import json
import re
import shutil
from itertools import count, product
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MATHJAX_SRC = ROOT / "assets" / "node_modules" / "mathjax" / "es5"
MATHJAX_PARTS = ["tex-chtml.js", "input", "output/chtml", "a11y", "ui", "adaptors"]
MAX_FRAMES = 60  # frames per experiment: one numeric control gets up to 25 values, two share the budget
FRAME_DPI = 80  # the frames are shown at the width of the text column
#: The editions: English at the root of _build/html, each translation in a folder of its own
#: (``make book`` builds them all; ``scripts/build_translation.py`` builds one translation).
#: The title and the search box's text are configuration, not document text, so gettext does
#: not translate them: they are given here (tests check the title against the index catalogue).
EDITIONS = {
    "en": {"folder": "", "name": "English", "hreflang": "en",
           "title": "Neural Networks, Interactively", "search": "Search this book...",
           "frames_note": "Frames computed when the book was built; other settings are fixed ({fixed}). "
                          "Open the notebook in Colab or Jupyter (rocket icon above) to move every control live.",
           "switch": "Read this page in English", "languages": "Languages"},
    "zh_CN": {"folder": "zh", "name": "中文", "hreflang": "zh-CN",
              "title": "神经网络：交互式讲解", "search": "搜索本书……",
              "frames_note": "这些帧在构建本书时计算；其余设置固定为（{fixed}）。"
                             "在 Colab 或 Jupyter 中打开笔记本（上方的火箭图标），即可实时调节每个控件。",
              "switch": "阅读本页的中文版", "languages": "语言"},
}


def edition(config) -> str:
    lang = getattr(config, "language", None) or "en"
    return lang if lang in EDITIONS else "en"


PLACEHOLDER = re.compile(
    r'<div class="nnbook-experiment" data-experiment="([^"]+)" data-params="([^"]*)">.*?</div>', re.S)

SCRIPT = r"""
// Kernel-free experiments: show the precomputed frame that matches the controls.
// Each range control announces the value the reader sees (aria-valuetext) and the
// figure's alt text says which settings its frame shows; a range input moves with
// the arrow keys, Home/End and Page Up/Down, and each move fires "input".
document.querySelectorAll(".nnbook-static").forEach(function (box) {
  var spec = JSON.parse(box.getAttribute("data-spec"));
  var img = box.querySelector("img");
  var inputs = box.querySelectorAll("[data-control]");
  function update() {
    var index = 0, settings = [];
    inputs.forEach(function (input, i) {
      var k = parseInt(input.value, 10), control = spec.controls[i], text = control.labels[k];
      var out = box.querySelector('[data-value-of="' + input.getAttribute("data-control") + '"]');
      if (out) { out.textContent = text; }
      input.setAttribute("aria-valuetext", text);
      settings.push(control.label.replace(/[\s=]+$/, "") + " = " + text);
      index += k * control.stride;
    });
    img.src = spec.base + spec.frames[index];
    img.alt = spec.title + ": " + settings.join(", ");
  }
  inputs.forEach(function (input) { input.addEventListener("input", update); });
  update();
});
"""


def copy_mathjax(outdir: Path) -> None:
    if not MATHJAX_SRC.exists():
        raise RuntimeError(f"MathJax is missing at {MATHJAX_SRC}: run `npm ci --prefix assets` (make book does)")
    target = outdir / "_static" / "mathjax"
    for part in MATHJAX_PARTS:
        src, dst = MATHJAX_SRC / part, target / part
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            shutil.copy2(src, dst)


def _label(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def render_frames(name: str, params: dict, outdir: Path, lang: str = "en") -> dict:
    """Draw every frame of one experiment, its texts in ``lang``; returns the spec the script reads."""
    import matplotlib

    matplotlib.use("Agg")
    from nnbook.experiments import REGISTRY
    from nnbook.experiments.core import FigureView

    experiment = REGISTRY[name]
    controls = [c for c in experiment.controls if c.name in experiment.static]
    fixed = 1
    for c in controls:
        if c.options is not None:
            fixed *= len(c.options)
    numeric = [c for c in controls if c.options is None]
    per = max(2, int((MAX_FRAMES / fixed) ** (1 / len(numeric)))) if numeric else 0
    values = [c.values(min(25, per)) for c in controls]
    folder = outdir / "_static" / "experiments" / name
    folder.mkdir(parents=True, exist_ok=True)
    frames = []
    from nnbook.figure_text import control_label, translate_text

    view = FigureView(experiment, dpi=FRAME_DPI, compress_level=6, language=lang)  # drawn once, then updated frame by frame, like the live view
    for combo in product(*values):
        chosen = dict(params, **{c.name: v for c, v in zip(controls, combo)})
        view.show(experiment.run(**chosen))
        fname = f"frame{len(frames):03d}.png"
        (folder / fname).write_bytes(view.png())
        frames.append(fname)
    strides, stride = [], 1
    for vals in reversed(values):
        strides.insert(0, stride)
        stride *= len(vals)
    start = [vals.index(params[c.name]) if params[c.name] in vals else
             min(range(len(vals)), key=lambda i: abs(vals[i] - params[c.name]))
             for c, vals in zip(controls, values)]
    return {
        "title": translate_text(experiment.title, lang), "frames": frames, "start": start,
        "controls": [{"name": c.name, "label": control_label(c.label, lang), "labels": [_label(v) for v in vals], "stride": s}
                     for c, vals, s in zip(controls, values, strides)],
        "fixed": {k: v for k, v in params.items() if k not in experiment.static},
    }


def frame_alt(spec: dict, indices: list[int]) -> str:
    """The alt text of one frame: the experiment's title and the settings it shows
    (the script writes the same text when a control moves)."""
    settings = [f'{c["label"].rstrip(" =")} = {c["labels"][k]}' for c, k in zip(spec["controls"], indices)]
    return f'{spec["title"]}: {", ".join(settings)}' if settings else spec["title"]


def static_html(name: str, spec: dict, prefix: str, uid: str, lang: str = "en") -> str:
    """The kernel-free experiment; ``uid`` (unique in its page) prefixes the controls' ids.

    Each range control has a visible ``<label for>`` (its accessible name) and
    ``aria-valuetext`` (the value shown beside it, which the script updates); the
    visible value, an ``<output>``, is hidden from assistive technology, which
    hears it as the slider's value already."""
    rows = []
    for i, c in enumerate(spec["controls"]):
        ident, value = f'{uid}-{c["name"]}', html.escape(c["labels"][spec["start"][i]])
        rows.append(
            f'<span class="nnbook-control" style="display:inline-block;margin:0 1.5em 0.5em 0">'
            f'<label for="{ident}">{html.escape(c["label"])}</label> '
            f'<input type="range" id="{ident}" min="0" max="{len(c["labels"]) - 1}" step="1" value="{spec["start"][i]}" '
            f'data-control="{html.escape(c["name"])}" aria-valuetext="{value}"> '
            f'<output for="{ident}" data-value-of="{html.escape(c["name"])}" aria-hidden="true" '
            f'style="display:inline-block;min-width:3em">{value}</output></span>')
    fixed = ", ".join(f"{k} = {_label(v)}" for k, v in spec["fixed"].items())
    payload = dict(spec, base=f"{prefix}_static/experiments/{name}/")
    first = sum(s * c["stride"] for s, c in zip(spec["start"], spec["controls"]))
    return (
        f'<div class="nnbook-static" data-experiment="{html.escape(name)}" '
        f'data-spec="{html.escape(json.dumps(payload), quote=True)}">'
        f'<div class="nnbook-controls" role="group" aria-label="{html.escape(spec["title"])}">{"".join(rows)}</div>'
        f'<img src="{prefix}_static/experiments/{name}/{spec["frames"][first]}" '
        f'alt="{html.escape(frame_alt(spec, spec["start"]))}" style="max-width:100%;height:auto">'
        f'<p class="nnbook-note" style="font-size:0.85em;opacity:0.8">'
        f'{EDITIONS[lang]["frames_note"].format(fixed=html.escape(fixed))}</p></div>'
    )


def build_finished(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    copy_mathjax(outdir)
    (outdir / "_static" / "nnbook-experiments.js").write_text(SCRIPT)
    cache: dict = {}
    lang = edition(app.config)   # a translation draws its own frames, the figures' texts in its language
    for source in sorted((outdir / "_sources").rglob("*.ipynb")) if lang != "en" else []:
        path = translated_notebook(source.relative_to(outdir / "_sources").with_suffix("").as_posix(), lang)
        if path:
            shutil.copyfile(ROOT / path, source)
    others = {info["folder"] for key, info in EDITIONS.items() if key != lang and info["folder"]}
    for page in sorted(outdir.rglob("*.html")):
        if page.relative_to(outdir).parts[0] in others:   # another edition's pages, built on their own
            continue
        text = page.read_text(encoding="utf-8")
        if "nnbook-experiment" not in text:
            continue
        prefix = "../" * (len(page.relative_to(outdir).parts) - 1)
        numbers = count(1)  # the experiments of this page, for unique ids

        def replace(match):
            name, params = match.group(1), json.loads(html.unescape(match.group(2)))
            key = (name, json.dumps(params, sort_keys=True))
            if key not in cache:
                cache[key] = render_frames(name, params, outdir, lang)
            return static_html(name, cache[key], prefix, f"nnbook-{name}-{next(numbers)}", lang)

        new = PLACEHOLDER.sub(replace, text)
        script = f'<script src="{prefix}_static/nnbook-experiments.js"></script>'
        if script not in new:   # a page an incremental build left as it was already has it
            new = new.replace("</body>", script + "</body>", 1)
        page.write_text(new, encoding="utf-8")


def set_theme_defaults(app, config) -> None:
    """A definite colour mode (the theme logs a console error when it has none); a translation's
    title and search box text."""
    config.html_context.setdefault("default_mode", "auto")
    lang = edition(config)
    if lang != "en":
        config.html_title = EDITIONS[lang]["title"]
        config.html_theme_options = dict(config.html_theme_options, search_bar_text=EDITIONS[lang]["search"])


def edition_link(pagename: str, here: str, there: str) -> str:
    """The relative address of ``pagename`` in edition ``there``, from the same page in ``here``."""
    up = "../" * pagename.count("/") + ("../" if EDITIONS[here]["folder"] else "")
    folder = EDITIONS[there]["folder"]
    return f"{up}{folder + '/' if folder else ''}{pagename}.html"


def language_switch(app, pagename, templatename, context, doctree) -> None:
    """Every page links to the same page in the other editions, above its text and in its head."""
    if "body" not in context:
        return
    here = edition(app.config)
    links, alternates = [], []
    for lang, info in EDITIONS.items():
        href = edition_link(pagename, here, lang)
        alternates.append(f'<link rel="alternate" hreflang="{info["hreflang"]}" href="{href}" />')
        if lang != here:
            links.append(f'<a href="{href}" hreflang="{info["hreflang"]}" lang="{info["hreflang"]}" '
                         f'title="{html.escape(info["switch"])}">{html.escape(info["name"])}</a>')
    context["metatags"] = context.get("metatags", "") + "\n".join(alternates)
    context["body"] = (f'<nav class="nnbook-language" aria-label="{html.escape(EDITIONS[here]["languages"])}" '
                       f'style="float:right;font-size:0.9em">{" · ".join(links)}</nav>\n' + context["body"])


def translated_notebook(pagename: str, lang: str) -> str | None:
    """The repository path of a page's notebook in edition ``lang`` (``book/zh/02_neuron.ipynb``), if it exists."""
    folder = EDITIONS[lang]["folder"]
    if not folder or "/" not in pagename:
        return None
    head, name = pagename.rsplit("/", 1)
    path = f"{head}/{folder}/{name}.ipynb"
    return path if (ROOT / path).exists() else None


def launch_translated_notebooks(app, pagename, templatename, context, doctree) -> None:
    """A translation's launch buttons (Colab, Binder) open its own notebook, generated from the
    English one by ``scripts/translate_notebooks.py``; its download button (``_sources``) gives
    that notebook too (copied by :func:`build_finished`)."""
    path = translated_notebook(pagename, edition(app.config))
    if path is None:
        return
    english = f"{pagename}.ipynb"

    def rewrite(item):
        if isinstance(item, dict):
            url = item.get("url")
            if isinstance(url, str) and url.startswith("http") and english in url:   # Colab, Binder, the repository
                item["url"] = url.replace(english, path)
            for value in item.values():
                rewrite(value)
        elif isinstance(item, list):
            for value in item:
                rewrite(value)
    rewrite(context.get("header_buttons", []))


def dedupe_scripts(app, pagename, templatename, context, doctree) -> None:
    """Drop repeated script tags (sphinx-thebe registers its inline config twice,
    and the second ``const`` declaration is a console error in the browser)."""
    seen, unique = set(), []
    for script in context.get("script_files", []):
        attributes = {k: v for k, v in getattr(script, "attributes", {}).items() if k != "priority"}
        key = (getattr(script, "filename", str(script)) or "", repr(sorted(attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def _toctree_transform():
    from sphinx import addnodes
    from sphinx.transforms import SphinxTransform

    class TranslateToctreeCaptions(SphinxTransform):
        """The table of contents' part captions in a translation. sphinx-external-toc inserts the
        toctrees after Sphinx's Locale transform has translated the page, so their captions (which
        the gettext builder does extract) are looked up here, in the page's own catalogue."""
        default_priority = 101   # after sphinx_external_toc's InsertToctrees (100)

        def apply(self, **kwargs):
            if edition(self.config) == "en":
                return
            from sphinx.locale import init as init_locale
            from sphinx.util.i18n import docname_to_domain
            dirs = [str(Path(self.env.srcdir) / d) for d in self.config.locale_dirs]
            catalog, found = init_locale(dirs, self.config.language,
                                         docname_to_domain(self.env.docname, self.config.gettext_compact))
            if not found:
                return
            for node in self.document.findall(addnodes.toctree):
                if node.get("caption"):
                    node["caption"] = node["rawcaption"] = catalog.gettext(node["caption"])

    return TranslateToctreeCaptions


def citation_list_semantics(app, pagename, templatename, context, doctree) -> None:
    """Accessibility: docutils writes each bibliography entry as
    ``<div role="doc-biblioentry">`` inside ``<div role="list">``; that DPUB-ARIA
    role is deprecated, and a list's children must be list items. The entries
    become ``role="listitem"`` (the ``citation`` class and ids stay)."""
    if "body" in context:
        context["body"] = context["body"].replace(' role="doc-biblioentry"', ' role="listitem"')


def setup(app):
    app.add_transform(_toctree_transform())
    app.connect("config-inited", set_theme_defaults)
    app.connect("html-page-context", dedupe_scripts)
    app.connect("html-page-context", language_switch)
    app.connect("html-page-context", launch_translated_notebooks, priority=600)   # after the theme's buttons
    app.connect("html-page-context", citation_list_semantics)
    app.connect("build-finished", build_finished)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
