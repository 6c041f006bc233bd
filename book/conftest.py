# nbval (`make test`: pytest --nbval ... tests book) runs the English notebooks of this
# folder. The Chinese ones, book/zh, are generated from them by scripts/translate_notebooks.py
# with the same code cells and stored outputs; tests/chapters/test_zh_notebooks.py checks
# them (and executes one), so nbval does not collect them a second time.
collect_ignore = ["zh"]
