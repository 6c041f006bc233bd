"""Accessibility of the built book: an axe-core audit (WCAG 2.0/2.1 A and AA) of
every page of both editions at desktop and phone widths.

It shares the browser test's server, browser and page list
(``tests/chapters/test_browser.py``) but lives in a file of its own, so that
``pytest -n 2 --dist loadfile`` runs it beside the other browser tests. axe-core
comes from the npm lock file in ``assets/`` (installed by ``make book``).
Skipped, with the reason, where the browser test is.
"""
from __future__ import annotations

from urllib.parse import urlparse

import pytest

from test_browser import (AXE, AXE_TAGS, WIDTHS, _typeset, browser, html_pages, pytestmark,  # noqa: F401
                          server)


# Starts the audit after the call returns (axe.run would otherwise do most of its
# work before returning), so that one tab audits while the other loads its page.
AUDIT = """tags => { window.nnbookAudit = new Promise(go => setTimeout(go, 0))
    .then(() => axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]}))
    .then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                       targets: v.nodes.map(n => n.target.join(" "))}))); }"""


def test_every_page_passes_axe_wcag_a_aa(browser, server):
    """axe-core, every rule tagged WCAG 2.0 or 2.1 A or AA, on every built page at
    desktop and phone widths. One tab per width (the phone's emulates a mobile
    device) visits every page; each audit runs in its tab while the other tab
    loads its page, so that both of Chromium's renderers keep busy. Fails
    listing every violation: rule, page, width and element."""
    if not AXE.exists():
        pytest.fail(f"axe-core is missing at {AXE}: run `npm ci --prefix assets` (make book does)")
    pages = html_pages()
    assert "book/index.html" in pages and "book/bibliography.html" in pages, pages
    contexts = {width: browser.new_context(viewport=viewport, is_mobile=width == "phone", has_touch=width == "phone")
                for width, viewport in WIDTHS.items()}
    found, auditing = [], {}

    def collect(width, tab):
        for v in tab.evaluate("() => window.nnbookAudit"):
            found.extend(f"{v['id']} ({v['impact']}: {v['help']}) on {auditing[width]} at {width} width: {target}"
                         for target in v["targets"])

    try:
        tabs = {width: context.new_page() for width, context in contexts.items()}
        for tab in tabs.values():
            tab.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("data:", "blob:"))
                      or urlparse(r.request.url).hostname in ("127.0.0.1", "localhost") else r.abort())
        for rel in pages:
            for width, tab in tabs.items():
                if width in auditing:
                    collect(width, tab)
                tab.goto(f"{server}/{rel}", wait_until="load")
                _typeset(tab)
                tab.add_script_tag(path=str(AXE))
                tab.evaluate(AUDIT, AXE_TAGS)
                auditing[width] = rel
        for width, tab in tabs.items():
            collect(width, tab)
    finally:
        for context in contexts.values():
            context.close()
    assert not found, (f"{len(found)} axe-core violations (WCAG 2.0/2.1 A and AA) in {len(pages)} pages:\n"
                       + "\n".join(found))


