# The book's two commands are `make book` and `make test`; both create the
# virtual environment .venv from requirements.txt first when it is missing
# or older than requirements.txt or either pyproject.toml (nnlib's, nnbook's).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
JOBS   ?= 2

.PHONY: book test execute lab bench clean env translations

# On two cores, multithreaded BLAS inside several kernels at once (pytest -n 2,
# nbval) oversubscribes the CPU and slows small matrix products a hundredfold:
# the book's own commands run each process's BLAS on one thread.
book test execute: export OPENBLAS_NUM_THREADS := 1
book test execute: export OMP_NUM_THREADS := 1
book test execute: export MKL_NUM_THREADS := 1

env: $(STAMP)

$(STAMP): requirements.txt pyproject.toml nnbook/pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e . -e ./nnbook
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	@touch $(STAMP)

ASSETS := assets/node_modules/.package-lock.json

# MathJax, from the npm lock file: the book serves it itself (no CDN).
$(ASSETS): assets/package.json assets/package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "make book needs npm (Node.js 16 or newer) to install MathJax from assets/package-lock.json; install Node.js and npm (e.g. apt-get install nodejs npm) and run make book again" >&2; exit 1; }
	npm ci --prefix assets --no-audit --no-fund --loglevel=error
	@touch $(ASSETS)

## Build the HTML book into _build/html, and its Chinese edition into _build/html/zh
## (warnings are errors).
book: $(STAMP) $(ASSETS)
	@# the two editions are independent builds: the Chinese one runs beside the English one
	@mkdir -p _build; $(BIN)/python scripts/build_translation.py zh_CN > _build/zh.log 2>&1 & zh=$$!; \
	$(BIN)/jupyter-book build . --warningiserror --keep-going; en=$$?; \
	wait $$zh; zhrc=$$?; echo "--- the Chinese edition (_build/html/zh):"; cat _build/zh.log; \
	test $$en -eq 0 -a $$zhrc -eq 0
	@echo "The book is at: $(CURDIR)/_build/html/index.html (中文版: $(CURDIR)/_build/html/zh/index.html)"

## After editing the English text: refresh the Chinese catalogues in locale/zh_CN
## (changed messages become fuzzy, new ones untranslated; the tests list them).
translations: $(STAMP)
	$(BIN)/python scripts/build_translation.py --update zh_CN

## Run every test: nnlib's and nnbook's unit tests, nbval over every notebook in book/,
## and the browser test when Chromium is installed and the book is built.
test: $(STAMP)
	$(BIN)/python -m pytest -n $(JOBS) --dist loadfile --durations=15 --nbval --nbval-current-env tests book

## Re-execute the notebooks in place after editing them (stores outputs and widget state).
execute: $(STAMP)
	$(BIN)/python scripts/execute_notebooks.py book/*.ipynb

## Open the notebooks in JupyterLab.
lab: $(STAMP)
	$(BIN)/jupyter lab book/

## Print the performance tables (not part of the tests' pass/fail).
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_training.py
	$(BIN)/python benchmarks/bench_experiments.py
	$(BIN)/python benchmarks/bench_notebooks.py
	$(BIN)/python benchmarks/bench_grading.py

clean:
	rm -rf _build
