# One command each, on a fresh machine with Python 3.11+: `make demo`, `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SHARED ?= ../shared

.PHONY: setup demo test bench bench-pdf bench-ocr bench-flows clean

$(BIN)/jixiao: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

setup: $(BIN)/jixiao

demo: setup
	rm -rf demo-out
	$(BIN)/jixiao run samples --out demo-out --review demo-out/review
	$(BIN)/python examples/query.py demo-out
	@echo "Review every value beside where it was printed: open demo-out/review/index.html in a browser"

test: setup
	JIXIAO_SHARED=$(SHARED) $(BIN)/python -m pytest -q

bench: setup
	$(BIN)/python bench/bench_core.py --files 2000 --seeds $(SHARED)/seeds

bench-pdf: setup
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python bench/bench_pdf.py --pdfs $(SHARED)/corpus/pdf --gold $(SHARED)/corpus/gold

bench-ocr: setup
	$(BIN)/python bench/bench_ocr.py --scans $(SHARED)/corpus/pdf_scanned

# Incremental re-runs, --workers 2 and Prefect's overhead per file (about 20 minutes on 2 cores).
bench-flows: setup
	$(BIN)/python bench/bench_flows.py --files 2000 --seeds $(SHARED)/seeds

clean:
	rm -rf $(VENV) demo-out .pytest_cache *.egg-info
