"""The reader's language: Chinese exercise checks, hints and solutions, and their catalogue.

English stays what it was (every other test of the exercises asserts English
text); Chinese is chosen with ``nnbook.set_language("zh_CN")`` or the
environment variable ``NNBOOK_LANG``; the grader's comparisons stay English.
"""
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

import nnbook
from nnbook import i18n
from nnbook.exercises import all_exercises, check, exercise, hint, solution
from nnbook.exercises.checking import describe_exception, normalize_choice
from nnbook.exercises.compare import compare, scalar_problem
from nnbook.exercises.core import Exercise

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def reader(monkeypatch):
    """No language chosen and no NNBOOK_LANG; whatever a test sets is undone after it."""
    monkeypatch.delenv(i18n.LANGUAGE_ENV, raising=False)
    monkeypatch.setattr(i18n, "_chosen", None)


@pytest.fixture
def chinese(reader):
    nnbook.set_language("zh_CN")


def _messages():
    spec = importlib.util.spec_from_file_location("nnbook_messages", ROOT / "scripts" / "nnbook_messages.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _sigmoid_output(x, w, b):
    z = float(np.dot(w, x)) + b
    e = np.exp(-abs(z))
    return float(1 / (1 + e) if z >= 0 else e / (1 + e))


# -- the setting --------------------------------------------------------
def test_english_is_the_default(reader):
    assert nnbook.get_language() == "en"
    assert repr(check("neuron.ex3", None)) == "⏳ neuron.ex3: not attempted yet"


def test_set_language_and_back(reader):
    nnbook.set_language("zh_CN")
    assert nnbook.get_language() == "zh_CN"
    assert repr(check("neuron.ex3", None)) == "⏳ neuron.ex3：尚未作答"
    nnbook.set_language("en")
    assert nnbook.get_language() == "en"
    assert repr(check("neuron.ex3", None)) == "⏳ neuron.ex3: not attempted yet"


@pytest.mark.parametrize("bad", ["fr", "zh", "zh-CN", "", None, "EN"])
def test_an_unknown_language_is_refused_naming_the_known_ones(reader, bad):
    with pytest.raises(ValueError, match=r"unknown language .*'en', 'zh_CN'"):
        nnbook.set_language(bad)
    assert nnbook.get_language() == "en"


def test_the_environment_variable_gives_the_language(reader, monkeypatch):
    monkeypatch.setenv("NNBOOK_LANG", "zh_CN")
    assert nnbook.get_language() == "zh_CN"
    assert "尚未作答" in repr(check("neuron.ex3", None))
    nnbook.set_language("en")  # an explicit choice wins over the variable
    assert nnbook.get_language() == "en"
    monkeypatch.setenv("NNBOOK_LANG", "xx")
    assert nnbook.get_language() == "en"
    monkeypatch.setattr(i18n, "_chosen", None)
    with pytest.raises(ValueError, match=r"NNBOOK_LANG.*'xx'.*'en', 'zh_CN'"):
        nnbook.get_language()


def _python(code: str, lang: str):
    env = {**os.environ, "NNBOOK_LANG": lang, "PYTHONPATH": os.pathsep.join(
        [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)


def test_nnbook_lang_is_honoured_at_import():
    # as a Chinese notebook's first cell does: the variable is set, then nnbook is imported
    code = ("import nnbook\nfrom nnbook.exercises import check, hint\n"
            "print(nnbook.get_language())\nprint(repr(check('neuron.ex3', 1)))\nprint(repr(hint('neuron.ex3')))")
    run = _python(code, "zh_CN")
    assert run.returncode == 0, run.stderr
    lang, checked, hinted = run.stdout.splitlines()
    assert lang == "zh_CN"
    assert checked == "❌ neuron.ex3：还不对——1 不是正确的值"
    assert hinted.startswith("💡 neuron.ex3，提示 1/2：每个单元对每个输入都有一个权重")
    bad = _python("import nnbook", "klingon")
    assert bad.returncode != 0
    assert "NNBOOK_LANG" in bad.stderr and "'en', 'zh_CN'" in bad.stderr


# -- what a Chinese reader sees -----------------------------------------
def test_a_chinese_check_of_a_function(chinese):
    assert repr(check("neuron.ex1", _sigmoid_output)) == "✅ neuron.ex1：正确（5/5 个用例通过）"
    wrong = repr(check("neuron.ex1", lambda x, w, b: 0.5))
    assert wrong.startswith("❌ neuron.ex1：还不对（0/5 个用例通过）——用例“常规”：应为 0.")
    assert wrong.endswith("得到的却是 0.5")
    assert repr(check("neuron.ex1", None)) == "⏳ neuron.ex1：尚未作答"

    def not_written(x, w, b):
        raise NotImplementedError
    assert repr(check("neuron.ex1", not_written)) == "⏳ neuron.ex1：尚未作答"
    raised = repr(check("neuron.ex1", lambda x, w, b: 1 / 0))
    assert "你的函数抛出了 ZeroDivisionError: division by zero" in raised


def test_a_chinese_check_of_shapes_dtypes_and_arrays(chinese):
    shape = repr(check("neuron.ex2", lambda X, W, b: (X @ W + b)[:1]))
    assert "用例“常规”：形状应为 (4, 2)，得到的却是 (1, 2)" in shape
    dtype = repr(check("neuron.ex2", lambda X, W, b: (X @ W + b).astype(np.float64)))
    assert dtype == "❌ neuron.ex2：还不对（3/4 个用例通过）——用例“float32”：dtype 应为 float32，得到的却是 float64"
    values = repr(check("neuron.ex2", lambda X, W, b: X @ W)).splitlines()
    assert "8 个元素中有 8 个的值不同；第一处在索引 (0, 0)：应为" in values[0]
    # the two arrays stay aligned: the labels take as many columns as each other
    assert values[1].startswith("    应为 [[") and values[2].startswith("          [")
    assert values[5].startswith("    得到 [[")
    wrong_type = repr(check("neuron.ex2", lambda X, W, b: (X @ W + b).tolist()))
    assert "应为 numpy.ndarray，得到的却是 list" in wrong_type


def test_a_chinese_check_of_a_value_and_a_choice(chinese):
    assert repr(check("neuron.ex3", 784 * 16 + 16)) == "✅ neuron.ex3：正确"
    assert repr(check("neuron.ex3", 784 * 16)) == "❌ neuron.ex3：还不对——12544 不是正确的值"
    assert repr(check("neuron.ex3", True)) == "❌ neuron.ex3：还不对——应为一个数，得到的却是布尔值 True"
    assert repr(check("neuron.ex3", ...)) == "⏳ neuron.ex3：尚未作答"
    assert repr(check("neuron.ex4", "(A)")) == "✅ neuron.ex4：正确"
    assert repr(check("neuron.ex4", "b")) == "❌ neuron.ex4：还不对——(b) 不是正确的选项"
    assert repr(check("neuron.ex4", "e")) == "❌ neuron.ex4：还不对——'e' 不是选项 'a', 'b', 'c', 'd' 之一"
    assert repr(check("neuron.ex4", 2)) == (
        "❌ neuron.ex4：还不对——应为字符串形式的 'a', 'b', 'c', 'd' 之一，得到的却是 int")


def test_a_chinese_check_of_a_bug_exercise_and_of_refused_calls(chinese):
    from nnbook.exercises.solutions.neuron import forward
    ex = exercise("neuron.ex5")
    namespace = {}
    exec(ex.starter_code(), namespace)
    assert repr(check("neuron.ex5", namespace["forward"])) == "⏳ neuron.ex5：尚未作答——forward 仍是原来那个有错误的版本"
    assert repr(check("neuron.ex5", forward)) == "✅ neuron.ex5：正确（4/4 个用例通过）"
    from nnlib import sigmoid
    refused = repr(check("activations.ex1", lambda x: sigmoid(x)))
    assert "PermissionError: 这道练习要求你自己实现：这里不能调用 nnlib.activations.sigmoid" in refused


def test_warnings_are_noted_and_refused_in_chinese(chinese):
    def overflowing(x):
        return 1 / (1 + np.exp(-x))
    text = repr(check("activations.ex1", overflowing))
    assert "用例“很大：x = ±1000”：你的代码发出了 RuntimeWarning: overflow encountered in exp，这道练习不允许出现这一警告" in text

    def noisy(X, W, b):
        np.log(np.zeros(1))  # a divide-by-zero warning, harmless here
        return X @ W + b
    noted = repr(check("neuron.ex2", noisy)).splitlines()
    assert noted[0] == "✅ neuron.ex2：正确（4/4 个用例通过）"
    assert noted[1] == ("    注：你的代码发出了 RuntimeWarning: divide by zero encountered in log"
                        "（用例“常规”）；这不算错")


def test_chinese_hints_solutions_and_statements(chinese):
    first = hint("neuron.ex1")
    assert repr(first) == "💡 neuron.ex1，提示 1/3：先计算加权和 z = w·x + b：`np.dot(w, x) + b`。"
    assert first._repr_markdown_() == "**💡 提示 1/3**（neuron.ex1）：先计算加权和 z = w·x + b：`np.dot(w, x) + b`。"
    assert repr(hint("neuron.ex1", 9)).startswith("💡 neuron.ex1，提示 3/3（这是最后一条提示）：")
    with pytest.raises(ValueError, match="level 必须是正整数"):
        hint("neuron.ex1", 0)
    with pytest.raises(KeyError, match="没有练习 'neuron.ex9'；你要找的是不是"):
        check("neuron.ex9", None)
    shown = solution("neuron.ex1")
    assert repr(shown).startswith("# neuron.ex1 的参考答案\ndef neuron_output(")
    assert shown._repr_markdown_().startswith("**neuron.ex1 的参考答案**\n\n```python\ndef neuron_output(")
    md = exercise("neuron.ex4").markdown()
    assert md.startswith("**练习 neuron.ex4：神经元拿不定主意的地方**（1 分）\n\n")
    assert "\n- (a) 一条直线\n" in md
    assert "    # 在这里写你的代码\n" in exercise("neuron.ex1").starter_code()
    assert exercise("neuron.ex3").starter_code() == "n_params = ...  # 你的答案\n"
    assert exercise("neuron.ex4").starter_code() == "decision_set = ...  # 'a', 'b', 'c', 'd' 之一\n"
    assert "# 找出并改正错误。\n" in exercise("neuron.ex5").starter_code()


def test_points_take_their_plural_in_english_only(reader):
    ex = Exercise(id="demo.ex1", kind="value", title="A demo", statement="Say 2.", answer_name="x",
                  hints=("Two.",), points=2)
    assert ex.markdown() == "**Exercise demo.ex1: A demo** (2 points)\n\nSay 2.\n"
    nnbook.set_language("zh_CN")
    assert ex.markdown() == "**练习 demo.ex1：A demo**（2 分）\n\nSay 2.\n"  # text the catalogue lacks stays English


@pytest.mark.parametrize("ex", all_exercises(), ids=lambda ex: ex.id)
def test_every_exercise_speaks_chinese(reader, ex):
    english = [ex.markdown()] + [repr(ex.hint(level)) for level in range(1, len(ex.hints) + 1)]
    nnbook.set_language("zh_CN")
    chinese = [ex.markdown()] + [repr(ex.hint(level)) for level in range(1, len(ex.hints) + 1)]
    for en, zh in zip(english, chinese):
        assert zh != en and CJK.search(zh), zh
    assert chinese[0].startswith(f"**练习 {ex.id}：")
    assert ex.buggy is None or ex.buggy.strip() in chinese[0]  # the code is the same in both editions
    reference = ex.reference_function()
    assert repr(ex.check(reference if ex.runs_code else reference())).startswith(f"✅ {ex.id}：正确")
    assert repr(ex.check(None)) == f"⏳ {ex.id}：尚未作答"


def test_english_is_unchanged_after_a_chinese_detour(reader):
    answers = [("neuron.ex1", lambda x, w, b: 0.5), ("neuron.ex2", lambda X, W, b: X @ W), ("neuron.ex3", 1),
               ("neuron.ex4", "b"), ("losses.ex1", lambda y_pred, y_true: float(np.mean((y_pred - y_true) ** 2)))]

    def shown():
        return ([repr(check(i, a)) for i, a in answers] + [repr(hint("neuron.ex1", 2)), repr(solution("neuron.ex1")),
                exercise("neuron.ex1").markdown(), exercise("neuron.ex4").starter_code()])
    before = shown()
    nnbook.set_language("zh_CN")
    during = shown()
    nnbook.set_language("en")
    assert shown() == before
    assert all(a != b for a, b in zip(before, during) if "float32" not in a)


def test_a_result_keeps_the_language_it_was_made_in(reader):
    nnbook.set_language("zh_CN")
    result, tip = check("neuron.ex3", 7), hint("neuron.ex3")
    nnbook.set_language("en")
    assert repr(result) == "❌ neuron.ex3：还不对——7 不是正确的值"
    assert repr(tip).startswith("💡 neuron.ex3，提示 1/2：")
    assert "还不对" in result._repr_html_()


def test_the_graders_comparisons_stay_english(chinese):
    # the grader calls these outside the notebook API: its feedback is English whatever the reader's language
    assert compare(np.zeros(3), np.ones(2)) == "expected shape (3,), got (2,)"
    assert compare(np.zeros(2), np.ones(2), show_values=False) == "values differ at 2 of 2 entries (first at index (0,))"
    assert scalar_problem(True) == "expected a number, got the boolean True"
    assert normalize_choice(3, {"a": "x"}) == (None, "expected one of 'a' as a string, got int")

    class Hostile(Exception):
        def __str__(self):
            raise RuntimeError
    assert describe_exception(Hostile()) == "Hostile: <message could not be printed>"
    with i18n.in_language():
        assert compare(np.zeros(3), np.ones(2)) == "形状应为 (3,)，得到的却是 (2,)"


def test_assignments_public_checks_speak_chinese(chinese):
    from nnbook.assignments import case, check_cases
    cases = [case("zeros", np.zeros(3)), case("ones", np.ones(3))]
    expected = [np.zeros(3), np.ones(3)]
    assert repr(check_cases("a.q1", lambda x: x, cases, expected)) == "✅ a.q1：正确（2/2 个用例通过）"
    failing = repr(check_cases("a.q1", lambda x: x[:2], cases, expected))
    assert failing == ("❌ a.q1：还不对（0/2 个用例通过）——未通过的用例：\n"
                       "    - 用例“zeros”：形状应为 (3,)，得到的却是 (2,)\n"
                       "    - 用例“ones”：形状应为 (3,)，得到的却是 (2,)")


# -- the catalogue ------------------------------------------------------
PO = ROOT / "nnbook" / "locale" / "zh_CN" / "LC_MESSAGES" / "nnbook.po"


def test_every_message_of_the_catalogue_is_translated():
    pytest.importorskip("babel")
    catalog = _messages().read(PO)
    messages = [m for m in catalog if m.id]
    untranslated = [m.id for m in messages if not all(m.string if isinstance(m.string, tuple) else (m.string,))]
    fuzzy = [m.id for m in messages if m.fuzzy]
    print(f"{PO.relative_to(ROOT)}: {len(messages)} messages, {len(untranslated)} untranslated, {len(fuzzy)} fuzzy")
    assert not untranslated and not fuzzy
    assert len(messages) > 400


def test_the_catalogue_holds_every_message_the_code_and_exercises_show():
    pytest.importorskip("babel")
    module = _messages()
    new, obsolete = module.updated(module.read(PO))
    missing = [m.id for m in new if m.id and m.id not in module.read(PO)]
    assert not missing and not obsolete, (f"run python scripts/nnbook_messages.py update and translate: "
                                          f"new {missing[:5]}, obsolete {obsolete[:5]}")
    assert module.po_bytes(new) == PO.read_bytes(), "run python scripts/nnbook_messages.py update"


def test_the_committed_mo_is_what_the_po_compiles_to():
    pytest.importorskip("babel")
    module = _messages()
    assert PO.with_suffix(".mo").read_bytes() == module.mo_bytes(module.read(PO)), \
        "run python scripts/nnbook_messages.py compile"


def test_translations_keep_fields_maths_and_code():
    pytest.importorskip("babel")
    module = _messages()
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        from check_po import tokens
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    problems = module.problems(PO)
    assert not problems, problems
    for m in module.read(PO):
        if m.id and isinstance(m.id, str):
            assert tokens(m.id) == tokens(m.string), m.id


def test_the_catalogue_is_installed_with_nnbook(tmp_path):
    """Colab installs nnbook from git: the wheel must carry the compiled catalogue."""
    pytest.importorskip("setuptools")
    source = tmp_path / "nnbook"
    shutil.copytree(ROOT / "nnbook", source, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "build"))
    run = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                          str(source), "-w", str(tmp_path / "dist")], capture_output=True, text=True, timeout=300)
    if run.returncode != 0:
        pytest.skip(f"cannot build a wheel here: {run.stderr.strip().splitlines()[-1:]}")
    (wheel,) = (tmp_path / "dist").glob("nnbook-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "nnbook/locale/zh_CN/LC_MESSAGES/nnbook.mo" in names
    assert "nnbook/i18n.py" in names
