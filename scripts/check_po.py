"""Check translated .po files: every msgstr keeps the msgid's maths, code, roles and links.

Usage: python scripts/check_po.py locale/zh_CN/LC_MESSAGES/book/02_neuron.po [...]
Prints each problem and a count of translated / untranslated / fuzzy messages.
"""
import re
import sys
from collections import Counter

from babel.messages.pofile import read_po

TOKENS = [
    re.compile(r"\$\$.+?\$\$", re.S),            # display maths
    re.compile(r"(?<!\\)\$[^$\n]+?(?<!\\)\$"),   # inline maths
    re.compile(r"\{[a-z:]+\}`[^`]*`"),           # roles: {cite}`x`, {ref}`text <label>`, {math}`..`
    re.compile(r"(?<![}`])`[^`\n]+`"),           # code spans
    re.compile(r"https?://[^\s)>\]]+"),          # URLs
    re.compile(r"\\[A-Za-z]+"),                  # LaTeX commands anywhere
]


def tokens(text: str) -> Counter:
    found = Counter()
    for pattern in TOKENS[:2]:
        for m in pattern.findall(text):
            found[m] += 1
        text = pattern.sub(" ", text)
    for m in TOKENS[2].findall(text):
        role = m.split("`", 1)[0]
        target = re.search(r"<([^>]+)>`$", m)
        found[role + (target.group(1) if target else (m if role in ("{cite}", "{math}", "{eq}", "{numref}", "{doc}", "{cite:p}", "{cite:t}") else ""))] += 1
    text = TOKENS[2].sub(" ", text)
    for pattern in TOKENS[3:5]:
        for m in pattern.findall(text):
            found[m] += 1
    return found


def main(paths) -> int:
    bad = 0
    for path in paths:
        with open(path, "rb") as f:
            catalog = read_po(f)
        done = todo = fuzzy = 0
        for msg in catalog:
            if not msg.id:
                continue
            if msg.fuzzy:
                fuzzy += 1
            if not msg.string:
                todo += 1
                continue
            done += 1
            want, got = tokens(msg.id), tokens(msg.string)
            if want != got:
                bad += 1
                missing, extra = want - got, got - want
                print(f"{path}:{msg.lineno}: tokens differ; missing {dict(missing)} extra {dict(extra)}\n  msgid: {msg.id[:120]!r}")
        print(f"{path}: {done} translated, {todo} untranslated, {fuzzy} fuzzy")
    print(f"{bad} message(s) with token problems")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
