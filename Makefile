# One command each, on a fresh machine with Python 3.11+: `make demo`, `make test` (README, Quick start).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SHARED ?= ../shared
# --no-compile: Python compiles what it imports when it first imports it, not all of every package now.
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check --no-compile
# The tests start hundreds of processes (the CLI, Prefect servers and workers): their packages are
# compiled once at install, or with PYTHONDONTWRITEBYTECODE=1 (as CI machines set it) every process
# would compile Prefect, pandas and the rest again from source.
PIP_COMPILED := $(BIN)/python -m pip install --quiet --disable-pip-version-check
# A line per test file as it goes, the 15 slowest tests at the end.
PYTEST := JIXIAO_SHARED=$(SHARED) $(BIN)/python -m pytest --durations=15

.PHONY: setup demo test test-all bench bench-pdf bench-ocr bench-scans bench-flows bench-memory clean

# The demo needs the core and what examples/query.py uses (DuckDB); the tests need every extra.
$(VENV)/.demo-deps: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) -e '.[demo]'
	touch $@

$(VENV)/.test-deps: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP_COMPILED) -e '.[test]'
	touch $@

setup: $(VENV)/.test-deps

# Reads samples/ into demo-out/ with its review report (HTML), then queries it.
demo: $(VENV)/.demo-deps
	rm -rf demo-out
	$(BIN)/jixiao run samples --out demo-out --review demo-out/review
	$(BIN)/python examples/query.py demo-out
	@echo "Review every value beside where it was printed: open demo-out/review/index.html in a browser"

# Everything but the suites marked slow; CI runs `make test-all`.
test: $(VENV)/.test-deps
	$(PYTEST) -m 'not slow'

test-all: $(VENV)/.test-deps
	$(PYTEST)

bench: setup
	$(BIN)/python bench/bench_core.py --files 2000 --seeds $(SHARED)/seeds

bench-pdf: setup
	$(PIP) -e '.[bench]'
	$(BIN)/python bench/bench_pdf.py --pdfs $(SHARED)/corpus/pdf --gold $(SHARED)/corpus/gold

bench-ocr: setup
	$(BIN)/python bench/bench_ocr.py --scans $(SHARED)/corpus/pdf_scanned

# Scans in each condition of tests/scanlib.py against the corpus gold, with unreadable_cell's recall
# and precision (about 15 minutes on 2 cores); which way up pages lie, against PP-LCNet's page model.
bench-scans: setup
	$(BIN)/python bench/bench_scans.py --pdfs $(SHARED)/corpus/pdf --gold $(SHARED)/corpus/gold --scanned $(SHARED)/corpus/pdf_scanned
	$(BIN)/python bench/bench_orientation.py --pdfs $(SHARED)/corpus/pdf

# Incremental re-runs, --workers 2 and Prefect's overhead per file (about 20 minutes on 2 cores).
bench-flows: setup
	$(BIN)/python bench/bench_flows.py --files 2000 --seeds $(SHARED)/seeds

# Peak memory reading a 200 MB text dump and a 500,000-row sheet of repeated forms (about 30 minutes on 2 cores).
bench-memory: setup
	$(BIN)/python bench/bench_memory.py --seeds $(SHARED)/seeds --workbook $(SHARED)/corpus/xlsx/a_xlsx_01.xlsx

clean:
	rm -rf $(VENV) demo-out .pytest_cache *.egg-info
