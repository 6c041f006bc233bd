"""The experiments' figures in Chinese: every text translated with its numbers kept, a CJK font,
live updates still equal to a fresh drawing, English untouched, and no boxes without a font."""
import importlib.util
import re
import sys
import warnings
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

from matplotlib.text import Text  # noqa: E402

from nnbook import figure_text  # noqa: E402
from nnbook.experiments import REGISTRY  # noqa: E402
from nnbook.experiments.core import FigureView  # noqa: E402
from nnbook.figure_text import control_label, has_words, template, translate_text  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u3400-\u9fff]")
needs_font = pytest.mark.skipif(figure_text.cjk_font() is None, reason="no CJK font (apt-get install fonts-noto-cjk)")


def _messages():
    spec = importlib.util.spec_from_file_location("figure_messages", ROOT / "scripts" / "figure_messages.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["figure_messages"] = module
    spec.loader.exec_module(module)
    return module


def test_template_replaces_numbers_and_mathtext_and_keeps_words():
    assert template("accuracy 95.8% after 30 epochs") == ("accuracy {0}% after {1} epochs", ["95.8", "30"])
    assert template("loss $L(w)$ = -0.25") == ("loss {0} = {1}", ["$L(w)$", "-0.25"])
    assert template("GPT-3 (175B)") == ("GPT-{0} ({1}B)", ["3", "175"])
    assert template("a {set}") == ("a {{set}}", [])
    assert has_words("epoch 3") and not has_words("0.25") and not has_words("$\\sigma(z)$ 1e-3")


@needs_font
def test_translations_put_the_numbers_back_in_their_own_order():
    assert translate_text("accuracy 95.8% after 30 epochs", "en") == "accuracy 95.8% after 30 epochs"
    text = translate_text("accuracy 95.8% after 30 epochs", "zh_CN")
    assert CJK.search(text) and "95.8" in text and "30" in text, text
    assert translate_text("a text no experiment draws", "zh_CN") == "a text no experiment draws"
    assert translate_text("0.5", "zh_CN") == "0.5"


def test_the_catalogue_is_complete_its_fields_kept_and_compiled():
    figure_messages = _messages()
    paths = figure_messages.catalogues()
    assert [p.parent.parent.name for p in paths] == ["zh_CN"]
    found = figure_messages.problems(paths[0])
    count = sum(1 for m in figure_messages.read(paths[0]) if m.id)
    print(f"\n{count} figure texts in the zh_CN catalogue")
    assert count > 150 and not found, "\n".join(found)


@needs_font
@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_text_of_a_chinese_figure_is_translated(name, caplog):
    """Drawn at its defaults and after a few changes, a zh_CN figure shows no English words
    except the names the catalogue keeps as they are (Adam, ReLU, XOR, GPT-3 ...)."""
    experiment = REGISTRY[name]
    figure_messages = _messages()
    # what a translated figure may show: a translation, or a message the catalogue keeps as it is
    # (fields unnumbered: a translation may reorder them)
    plain = lambda message: re.sub(r"\{\d+\}", "{}", message)  # noqa: E731
    shown = {plain(m.string) for m in figure_messages.read(figure_messages.catalogues()[0]) if m.id and m.string}
    view = FigureView(experiment, language="zh_CN")
    for params in [experiment.defaults()] + experiment.walk(3):
        view.show(experiment.run(**params))
        left = []
        for artist in view.figure.findobj(Text):
            text = artist.get_text()
            if has_words(text) and plain(template(text)[0]) not in shown:
                left.append(text)
            if CJK.search(text):
                assert figure_text.cjk_font() in artist.get_fontfamily(), (text, artist.get_fontfamily())
        assert not left, f"{name} at {params}: texts left in English: {left}"
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            view.png()   # drawn: no glyph may be missing from the fonts chosen (no empty boxes)
        missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
        missing += [r.getMessage() for r in caplog.records if "does not have a glyph" in r.getMessage()]
        assert not missing, f"{name} at {params}: {missing[:3]}"
    assert CJK.search(control_label(experiment.controls[0].label, "zh_CN") + translate_text(experiment.title, "zh_CN"))


@needs_font
@pytest.mark.parametrize("name", ["neuron", "deep", "softmax_temperature"])
def test_a_chinese_live_update_equals_a_fresh_chinese_drawing(name):
    experiment = REGISTRY[name]
    view = FigureView(experiment, language="zh_CN")
    view.show(experiment.run())
    for params in experiment.walk(4):
        view.show(experiment.run(**params))
        assert view.pixels_unlike_fresh() == 0, f"{name} at {params}"


def test_english_figures_are_untouched_and_a_missing_font_keeps_english(monkeypatch):
    experiment = REGISTRY["neuron"]
    english = FigureView(experiment, language="en")
    english.show(experiment.run())
    texts = [a.get_text() for a in english.figure.findobj(Text)]
    assert not any(CJK.search(t) for t in texts)
    monkeypatch.setattr(figure_text, "cjk_font", lambda: None)
    with pytest.warns(RuntimeWarning, match="fonts-noto-cjk"):
        view = FigureView(experiment, language="zh_CN")
        view.show(experiment.run())
    assert [a.get_text() for a in view.figure.findobj(Text)] == texts
