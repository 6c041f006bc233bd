"""The built HTML book, opened in a real browser with the network cut off.

Runs headless Chromium (Debian's ``chromium`` package) through Playwright
against ``_build/html`` served on localhost, with every request to another
host blocked and recorded. For every chapter page it checks: no console
errors, equations typeset by MathJax (and no raw ``$$`` left), every image
loaded, every kernel-free experiment responds to its controls, the launch
links point at this page's notebook, and nothing left localhost. It writes
desktop and phone screenshots to ``_build/screenshots/`` for a person to look
at. Skipped, with the reason printed, when Chromium or the built book is
missing (``make book`` builds it; .ci/run installs Chromium).
"""
from __future__ import annotations

import functools
import http.server
import re
import shutil
import sys
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
HTML = ROOT / "_build" / "html"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = ROOT / "assets" / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 812}}
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-quic"]


def toc_pages() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [c["file"] for c in part.get("chapters", [])]
    return files


def notebook_pages() -> list[str]:
    return [f for f in toc_pages() if (ROOT / f"{f}.ipynb").exists()]


sys.path.insert(0, str(ROOT / "book" / "_ext"))
import nnbook_sphinx  # noqa: E402  (the editions and their notebooks, as the book's extension defines them)

#: The editions under _build/html, by folder prefix ("" English, "zh/" Chinese): their languages.
EDITIONS = {(info["folder"] + "/" if info["folder"] else ""): lang for lang, info in nnbook_sphinx.EDITIONS.items()}


def edition_notebook(edition: str, doc: str) -> str:
    """The notebook a page's launch buttons open: the edition's own, where it has one."""
    return nnbook_sphinx.translated_notebook(doc, EDITIONS[edition]) or f"{doc}.ipynb"


def platform_fonts(page, selector: str) -> list[str]:
    """The fonts Chromium actually drew an element's text with (DevTools' CSS.getPlatformFontsForNode)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    return [f["familyName"] for f in fonts if f.get("glyphCount", 0) > 0]


def html_pages() -> list[str]:
    """Every page of the built book, relative to _build/html: each ``.html`` file,
    at any depth (another edition under ``zh/`` included), except Sphinx's own
    folders (``_static``, ``_sources``, ...) and redirect stubs (a bare
    ``<meta http-equiv="Refresh">``, like the root index.html, which shows nothing
    and sends the reader to a page audited here)."""
    pages = []
    for path in sorted(HTML.rglob("*.html")):
        rel = path.relative_to(HTML)
        if any(part.startswith("_") for part in rel.parts[:-1]):
            continue
        if re.match(r'\s*<meta http-equiv="refresh"', path.read_text(encoding="utf-8")[:500], re.I):
            continue
        pages.append(rel.as_posix())
    return pages


def _skip_reason() -> str | None:
    if not Path(CHROMIUM).exists():
        return "Chromium is not installed (apt-get install chromium): browser test skipped"
    if not (HTML / "index.html").exists():
        return "the book is not built (run `make book` first): browser test skipped"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "playwright is not installed: browser test skipped"
    return None


pytestmark = pytest.mark.skipif(_skip_reason() is not None, reason=str(_skip_reason()))


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield b
        b.close()


def open_page(browser, url, viewport):
    """A page whose requests outside localhost are blocked and recorded."""
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    outside, errors = [], []

    def route(r):
        host = urlparse(r.request.url).hostname
        if r.request.url.startswith(("data:", "blob:")) or host in ("127.0.0.1", "localhost"):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url, wait_until="networkidle")
    return context, page, outside, errors


@pytest.mark.parametrize("edition", EDITIONS)
@pytest.mark.parametrize("doc", toc_pages())
def test_page_renders_offline(browser, server, doc, edition):
    context, page, outside, errors = open_page(browser, f"{server}/{edition}{doc}.html", {"width": 1280, "height": 900})
    try:
        lang = nnbook_sphinx.EDITIONS[EDITIONS[edition]]["hreflang"]
        assert page.get_attribute("html", "lang") == lang, page.get_attribute("html", "lang")
        switch = page.locator("nav.nnbook-language a")
        other = "zh/" if edition == "" else ""
        assert switch.count() == 1 and switch.first.evaluate("a => a.href").endswith(f"/{other}{doc}.html")
        if edition == "zh/":   # Chinese text, drawn with a CJK font (not boxes, not a fallback guess)
            heading = page.inner_text("article h1")
            assert re.search(r"[\u4e00-\u9fff]", heading), f"{doc}: heading not in Chinese: {heading!r}"
            sidebar = page.inner_text(".bd-sidebar-primary")
            assert "Part I" not in sidebar and "第一部分" in sidebar, f"{doc}: the table of contents is not translated"
            fonts = platform_fonts(page, "article h1")
            assert any("CJK" in f or "Noto Sans SC" in f or "Noto Serif SC" in f for f in fonts), fonts
        if page.locator("span.math, div.math").count():
            page.wait_for_selector("mjx-container", state="attached", timeout=15000)
        body = page.inner_text("article")
        assert "$$" not in body, "raw $$ left in the page: an equation was not typeset"
        broken = page.evaluate(
            "Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)")
        assert not broken, f"images that did not load: {broken}"
        shots = ROOT / "_build" / "screenshots"
        shots.mkdir(parents=True, exist_ok=True)
        name = (edition + doc).replace("/", "_")
        page.screenshot(path=str(shots / f"{name}-desktop.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.wait_for_timeout(200)
        page.screenshot(path=str(shots / f"{name}-phone.png"), full_page=False)
        assert not errors, f"console errors on {doc}: {errors}"
        assert not outside, f"requests that left localhost on {doc}: {outside}"
    finally:
        context.close()


@pytest.mark.parametrize("edition", EDITIONS)
@pytest.mark.parametrize("doc", notebook_pages())
def test_experiments_respond_and_launch_links_point_here(browser, server, doc, edition):
    context, page, outside, errors = open_page(browser, f"{server}/{edition}{doc}.html", {"width": 1280, "height": 900})
    try:
        boxes = page.locator(".nnbook-static")
        assert page.locator(".nnbook-experiment").count() == 0, "an experiment placeholder was not replaced"
        for i in range(boxes.count()):
            box = boxes.nth(i)
            img = box.locator("img")
            for j in range(box.locator("input[type=range]").count()):
                slider = box.locator("input[type=range]").nth(j)
                before = img.get_attribute("src")
                current, top = int(slider.input_value()), int(slider.get_attribute("max"))
                slider.fill(str(0 if current == top else top))
                after = img.get_attribute("src")
                assert after != before, f"moving control {j} of experiment {i} on {doc} did not change the figure"
                page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle())
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        notebook = edition_notebook(edition, doc)
        colab = [h for h in hrefs if "colab.research.google.com" in h]
        binder = [h for h in hrefs if "mybinder.org" in h]
        assert colab and all(h.endswith(notebook) for h in colab), f"Colab links on {doc}: {colab}"
        assert binder and all(notebook in h for h in binder), f"Binder links on {doc}: {binder}"
        download = page.eval_on_selector_all("a[href$='.ipynb']", "els => els.map(e => e.getAttribute('href'))")
        assert any(h.endswith(Path(notebook).name) for h in download), f"no .ipynb download link on {doc}"
        assert not errors, f"console errors on {doc}: {errors}"
        assert not outside, f"requests that left localhost on {doc}: {outside}"
    finally:
        context.close()


def _typeset(page) -> None:
    """Wait until MathJax has typeset the page (the audit sees its final markup)."""
    page.evaluate("async () => { if (window.MathJax && MathJax.startup && MathJax.startup.promise)"
                  " { await MathJax.startup.promise; } }")


def experiment_pages() -> list[str]:
    return [f for f in notebook_pages()
            if (HTML / f"{f}.html").exists() and "nnbook-static" in (HTML / f"{f}.html").read_text(encoding="utf-8")]


@pytest.mark.parametrize("doc", experiment_pages())
def test_experiments_work_from_the_keyboard(browser, server, doc):
    """Each range control of a kernel-free experiment has a visible label that is
    its accessible name, is reached with Tab, moves with an arrow key, and then
    the figure, its alt text and the control's aria-valuetext follow."""
    from playwright.sync_api import expect

    context, page, outside, errors = open_page(browser, f"{server}/{doc}.html", {"width": 1280, "height": 900})
    try:
        boxes = page.locator(".nnbook-static")
        for i in range(boxes.count()):
            box = boxes.nth(i)
            img = box.locator("img")
            sliders = box.locator("input[type=range]")
            title = box.evaluate("b => JSON.parse(b.getAttribute('data-spec')).title")
            for j in range(sliders.count()):
                slider = sliders.nth(j)
                where = f"control {j} of experiment {i} ({title}) on {doc}"
                label = slider.evaluate("e => e.labels.length ? e.labels[0].textContent.trim() : ''")
                assert label, f"{where} has no label element"
                assert box.locator(f"label[for='{slider.get_attribute('id')}']").is_visible(), f"{where}: label not visible"
                expect(slider, f"{where}: its accessible name is not its label").to_have_accessible_name(label)
                if j == 0:
                    slider.focus()
                else:
                    page.keyboard.press("Tab")
                assert slider.evaluate("e => e === document.activeElement"), f"{where} is not reached with Tab"
                shown = box.locator(f"[data-value-of='{slider.get_attribute('data-control')}']")
                before_src, before_text = img.get_attribute("src"), slider.get_attribute("aria-valuetext")
                assert before_text == shown.inner_text().strip(), f"{where}: aria-valuetext is not the value shown"
                at_top = slider.input_value() == slider.get_attribute("max")
                page.keyboard.press("ArrowLeft" if at_top else "ArrowRight")
                after_text = slider.get_attribute("aria-valuetext")
                assert img.get_attribute("src") != before_src, f"{where}: the arrow key did not change the figure"
                assert after_text != before_text and after_text == shown.inner_text().strip(), \
                    f"{where}: aria-valuetext {after_text!r} after the arrow key (before {before_text!r})"
                alt = img.get_attribute("alt")
                assert alt.startswith(f"{title}: ") and f"{label.rstrip(' =')} = {after_text}" in alt, \
                    f"{where}: the figure's alt text does not say what it shows: {alt!r}"
                page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle())
        assert not errors, f"console errors on {doc}: {errors}"
        assert not outside, f"requests that left localhost on {doc}: {outside}"
    finally:
        context.close()
