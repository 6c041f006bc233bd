"""The experiments' figures in the reader's language.

An experiment draws its figure in English; :func:`translate_figure` then puts
every text on it (titles, axis labels, legends, annotations, word tick labels)
into the reader's language, in place, after each drawing or update, and
:func:`control_label` does the same for a control's label. Numbers and
mathtext change with the data, so a text is looked up as a template: in
``"accuracy 95.8% after 30 epochs"`` the message is ``"accuracy {0}% after
{1} epochs"`` and the translation ``"{1} 轮后准确率为 {0}%"`` gets the numbers
back in its own order.

The Chinese is in the gettext catalogue ``locale/zh_CN/LC_MESSAGES/figures.po``
(compiled to ``figures.mo``, installed with nnbook);
``scripts/figure_messages.py`` collects the texts by drawing every
experiment. Translated text is drawn with a CJK font (Noto Sans CJK, Debian's
``fonts-noto-cjk``); where none is installed the figure stays in English and
a warning says why, so that no figure shows empty boxes.
"""
from __future__ import annotations

import functools
import gettext as _gettext
import re
import warnings

from .i18n import LOCALE_DIR, get_language

__all__ = ["DOMAIN", "template", "translate_text", "translate_figure", "control_label", "cjk_font"]

#: The gettext domain of the figures' texts.
DOMAIN = "figures"
#: What varies inside a text: inline mathtext, and numbers (not digits inside a word such as "GPT-4"'s
#: "GPT", but the 4 is a value too: model names are templates like any other text).
_VARIABLE = re.compile(r"\$[^$]*\$|(?<![A-Za-z_])[-−]?\d+(?:[.,]\d+)*(?:[eE][-+]?\d+)?")
_WORD = re.compile(r"[A-Za-z]{2,}")
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")   # ideographs, CJK and full-width punctuation
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Noto Serif CJK SC", "WenQuanYi Zen Hei", "SimHei")


def template(text: str) -> tuple[str, list[str]]:
    """``(message, values)``: ``text`` with each number and each ``$...$`` replaced by ``{k}``."""
    values: list[str] = []

    def keep(match):
        values.append(match.group(0))
        return "{%d}" % (len(values) - 1)

    escaped = text.replace("{", "{{").replace("}", "}}")
    return _VARIABLE.sub(keep, escaped), values


def has_words(text: str) -> bool:
    """Whether ``text`` holds words to translate (not only numbers, symbols or mathtext)."""
    return bool(_WORD.search(re.sub(r"\$[^$]*\$", "", text)))


@functools.lru_cache(maxsize=None)
def _catalogue(lang: str):
    try:
        return _gettext.translation(DOMAIN, localedir=str(LOCALE_DIR), languages=[lang])
    except OSError as exc:
        raise RuntimeError(f"nnbook's {lang} figure catalogue is missing ({LOCALE_DIR}); reinstall nnbook") from exc


@functools.lru_cache(maxsize=None)
def cjk_font() -> str | None:
    """The family name of an installed CJK font matplotlib can use, or None."""
    from matplotlib import font_manager

    def known():
        names = {f.name for f in font_manager.fontManager.ttflist}
        return next((name for name in CJK_FAMILIES if name in names), None)

    if known() is None:   # matplotlib's font cache may predate the font's installation: look on disk
        for path in font_manager.findSystemFonts():
            if "CJK" in path or "WenQuanYi" in path or "wqy" in path:
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):
                    continue
    return known()


def _language(lang: str | None) -> str:
    lang = lang or get_language()
    if lang != "en" and cjk_font() is None:
        warnings.warn("no CJK font is installed (e.g. apt-get install fonts-noto-cjk): "
                      "the figures stay in English", RuntimeWarning, stacklevel=3)
        return "en"
    return lang


def translate_text(text: str, lang: str | None = None) -> str:
    """``text`` in ``lang`` (default: the reader's language); itself when it has no translation."""
    lang = lang or get_language()
    if lang == "en" or not text or not has_words(text):
        return text
    message, values = template(text)
    translated = _catalogue(lang).gettext(message)
    if translated == message:
        return text
    return translated.format(*values)


def control_label(label: str, lang: str | None = None) -> str:
    """A control's label as the reader sees it next to the slider or menu."""
    return translate_text(label, _language(lang))


def translate_figure(fig, lang: str | None = None) -> int:
    """Translate every text on ``fig`` in place; returns how many texts changed.

    Safe to call after every update: a text already translated has no
    message of its own and is left as it is.
    """
    lang = _language(lang)
    if lang == "en":
        return 0
    from matplotlib.text import Text

    font = cjk_font()
    changed = 0
    for artist in fig.findobj(Text):
        text = artist.get_text()
        new = translate_text(text, lang)
        if new != text:
            artist.set_text(new)
            changed += 1
        if _CJK.search(new):
            family = [f for f in artist.get_fontfamily() if f != font]
            # mathtext draws the words around the maths in the first family's font only; plain text
            # falls back to the CJK font for what the first family lacks
            wanted = [font, *family] if "$" in new else [*family, font]
            if artist.get_fontfamily() != wanted:
                artist.set_fontfamily(wanted)
    return changed
