"""Matplotlib's Agg renderer with its text work remembered between drawings.

A live figure is rendered again every time a control moves, and most of
its texts (tick labels, axis labels, legends, the digits of a confusion
matrix) come back at the same places with the same strings. Agg lays out
every string with FreeType and rasterises every glyph again each time:
on the book's figures that is a third to a half of the time an update
takes. :class:`TextCachingRendererAgg` keeps four tables:

- the layout of a string (which glyph of which font goes where), by the
  fonts, size, resolution, hinting and string;
- each glyph's coverage bitmap, by font, size, resolution, rotation, glyph
  and the glyph origin's position *within* a pixel (FreeType's 1/64 pixel
  grid). A glyph moved by whole pixels rasterises to the same bitmap moved
  by those pixels, so the bitmap is drawn at the new place as it is;
- each font's ascent, descent and line gap, which ``Text`` reads from the
  font's tables for every text it measures;
- which font files a set of font properties resolves to, by the properties
  and the settings the lookup reads.

Each glyph is still blended into the image one by one with Agg's own
``draw_text_image``, in the order Agg draws them, so the pixels are exactly
matplotlib's (``tests/nnbook/test_textcache.py`` compares every experiment
of the book, in English and in Chinese, with plain Agg). The renderer
relies on private methods of matplotlib's Agg backend, so it is used only
with the matplotlib versions in :data:`VERIFIED`; with any other,
:func:`canvas_class` gives plain ``FigureCanvasAgg`` and nothing changes
but the speed.
"""
from __future__ import annotations

import math
import os

import matplotlib
import numpy as np
from matplotlib.backends import backend_agg
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg

__all__ = ["VERIFIED", "enabled", "canvas_class", "TextCachingRendererAgg", "TextCachingCanvasAgg",
           "clear_caches", "cache_sizes"]

#: Matplotlib (major, minor) versions whose Agg text drawing this renderer was checked against.
VERIFIED = ((3, 11),)
#: The most layouts (and font heights) and glyph bitmaps kept (the oldest are dropped first).
MAX_LAYOUTS = 4096
MAX_GLYPHS = 16384

_layouts: dict = {}
_glyphs: dict = {}
_heights: dict = {}
_font_files: dict = {}
#: The settings matplotlib's font lookup depends on (``FontManager.findfont`` reads the same ones): lists, values.
_FONT_LISTS = tuple(f"font.{key}" for key in ("family", "serif", "sans-serif", "cursive", "fantasy", "monospace"))
_FONT_VALUES = tuple(f"font.{key}" for key in ("style", "variant", "weight", "stretch", "size"))


def _version() -> tuple:
    return tuple(int(part) for part in matplotlib.__version__.split(".")[:2] if part.isdigit())


def enabled() -> bool:
    """Whether this matplotlib is one the cached renderer was verified with."""
    from matplotlib.ft2font import FT2Font

    return (_version() in VERIFIED and hasattr(RendererAgg, "_draw_text_glyphs_and_boxes")
            and hasattr(FT2Font, "_layout") and hasattr(FT2Font, "_render_glyph"))


def clear_caches() -> None:
    """Forget every remembered layout and glyph (the next drawing rasterises its text again)."""
    _layouts.clear()
    _glyphs.clear()
    _heights.clear()
    _font_files.clear()


def cache_sizes() -> dict:
    """How many layouts, glyph bitmaps and font heights are remembered now."""
    return {"layouts": len(_layouts), "glyphs": len(_glyphs), "fonts": len(_heights)}


def _fonts(prop) -> tuple:
    """The font files matplotlib draws ``prop`` with (its first choice and fallbacks), looked up once.

    Matplotlib looks them up for every text it lays out and draws, reading
    eleven settings and searching once per font family each time. The
    answer is kept by the font properties, those settings, the fonts the
    font manager knows (``addfont`` adds to them) and the variable that
    hides the system's fonts: everything the lookup depends on.
    """
    manager = backend_agg._fontManager
    get = matplotlib.rcParams._get
    settings = (*(tuple(get(name)) for name in _FONT_LISTS), *map(get, _FONT_VALUES))
    key = (tuple(prop.get_family()), prop.get_style(), prop.get_variant(), prop.get_weight(), prop.get_stretch(),
           prop.get_size(), prop.get_file(), prop.get_math_fontfamily(), settings, id(manager),
           len(manager.ttflist), os.environ.get("MPL_IGNORE_SYSTEM_FONTS"))
    files = _font_files.get(key)
    if files is None:
        files = _remember(_font_files, MAX_LAYOUTS, key, tuple(manager._find_fonts_by_props(prop)))
    return files


def _remember(table: dict, limit: int, key, value):
    if len(table) >= limit:  # dicts keep insertion order: drop the oldest entry
        del table[next(iter(table))]
    table[key] = value
    return value


class TextCachingRendererAgg(RendererAgg):
    """``RendererAgg`` that remembers string layouts and glyph bitmaps (same pixels, less work)."""

    def draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
        if ismath:  # mathtext: its parse is cached by matplotlib; the glyphs go through the method below
            return self.draw_mathtext(gc, x, y, s, prop, angle)
        flags = backend_agg.get_hinting_flag()
        features = mtext.get_fontfeatures() if mtext is not None else None
        language = mtext.get_language() if mtext is not None else None
        if isinstance(features, list):
            features = tuple(features)
        size = prop.get_size_in_points()
        key = (_fonts(prop), size, self.dpi, s, flags, features, language)
        placed = _layouts.get(key)
        if placed is None:
            font = self._prepare_font(prop)
            items = font._layout(s, flags=flags, features=features, language=language)
            placed = _remember(_layouts, MAX_LAYOUTS, key,
                               tuple((item.ft_object, item.glyph_index, item.x, item.y) for item in items))
        self._draw_text_glyphs_and_boxes(
            gc, x, y, angle, ((font, size, index, 0, 1, dx, dy) for font, index, dx, dy in placed), [])

    def _draw_text_glyphs_and_boxes(self, gc, x, y, angle, glyphs, boxes):
        # glyph origins in FreeType's 26.6 fixed point (1/64 pixel), y upwards, as Agg places them
        cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
        flags = backend_agg.get_hinting_flag()
        antialiased = bool(gc.get_antialiased())
        height = self.height
        blend = self._renderer.draw_text_image
        for font, size, index, slant, extend, dx, dy in glyphs:
            ox = round(64 * (x + dx * cos - dy * sin))
            oy = round(64 * (height - y + dx * sin + dy * cos))
            px, fx = divmod(ox, 64)  # whole pixels, and the remainder within the pixel
            py, fy = divmod(oy, 64)
            key = (font, size, self.dpi, index, angle, slant, extend, fx, fy, flags, antialiased)
            bitmap = _glyphs.get(key)
            if bitmap is None:
                bitmap = _remember(_glyphs, MAX_GLYPHS, key,
                                   self._rasterise(font, size, index, cos, sin, slant, extend, fx, fy, flags,
                                                   antialiased))
            coverage, left, bottom = bitmap
            blend(coverage, left + px, int(height) - bottom - py, 0, gc)
        if boxes:  # mathtext's rules (fraction bars, square-root tops): matplotlib draws them
            super()._draw_text_glyphs_and_boxes(gc, x, y, angle, (), boxes)

    def _get_font_height_metrics(self, prop):
        """A font's ascent, descent and line gap in pixels, as ``Text`` measures them for every line it lays out.

        ``Text._get_layout`` asks the renderer first (the PDF and PostScript
        renderers answer for their AFM fonts) and otherwise reads the font's
        OS/2 or hhea table on every call; this answers from a table kept per
        font, size and resolution, with the same arithmetic. (None, None,
        None) lets ``Text`` measure the font itself.
        """
        fonts = _fonts(prop)
        size = prop.get_size_in_points()
        key = (fonts, size, self.dpi)
        metrics = _heights.get(key)
        if metrics is None:
            font = backend_agg.get_font(list(fonts))
            metrics = (None, None, None)
            for table_name, gap, ascent, descent in (("OS/2", "sTypoLineGap", "sTypoAscender", "sTypoDescender"),
                                                     ("hhea", "lineGap", "ascent", "descent")):
                table = font.get_sfnt_table(table_name)
                if table is not None:
                    per_unit = 1 / font.get_sfnt_table("head")["unitsPerEm"] * size * self.dpi / 72
                    metrics = (table[ascent] * per_unit, -table[descent] * per_unit, table[gap] * per_unit)
                    break
            _remember(_heights, MAX_LAYOUTS, key, metrics)
        return metrics

    def _rasterise(self, font, size, index, cos, sin, slant, extend, fx, fy, flags, antialiased):
        """One glyph rendered with its origin at (fx, fy)/64 pixel: (coverage, left, bottom)."""
        from matplotlib.ft2font import RenderMode

        rotation = np.array([[cos, -sin], [sin, cos]]) @ [[extend, extend * slant], [0, 1]]
        font.set_size(size, self.dpi)
        font._set_transform((0x10000 * rotation).round().astype(int), [fx, fy])
        rendered = font._render_glyph(index, flags, RenderMode.NORMAL if antialiased else RenderMode.MONO)
        coverage = np.array(rendered.buffer, dtype=np.uint8)  # a copy: FreeType reuses its buffer
        if not antialiased:
            coverage *= 0xff
        return coverage, rendered.left, rendered.top - coverage.shape[0]


class TextCachingCanvasAgg(FigureCanvasAgg):
    """``FigureCanvasAgg`` whose renderer is :class:`TextCachingRendererAgg`."""

    def get_renderer(self):
        width, height = self.get_width_height(physical=True)
        key = width, height, self.figure.dpi
        if self._lastKey != key:
            self.renderer = TextCachingRendererAgg(width, height, self.figure.dpi)
            self._lastKey = key
        return self.renderer


def canvas_class():
    """The canvas for live figures: the text-caching one where :func:`enabled`, else plain Agg."""
    return TextCachingCanvasAgg if enabled() else FigureCanvasAgg

