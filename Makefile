# One command each, on a fresh machine with Python 3.11+: `make demo`, `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SHARED ?= ../shared

.PHONY: setup demo test bench bench-pdf bench-ocr bench-flows bench-memory clean

$(BIN)/jixiao: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

setup: $(BIN)/jixiao

demo: setup
	rm -rf demo-out
	$(BIN)/jixiao run samples --out demo-out
	$(BIN)/python examples/query.py demo-out

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

# Peak memory reading a 200 MB text dump and a 500,000-row sheet of repeated forms (about 30 minutes on 2 cores).
bench-memory: setup
	$(BIN)/python bench/bench_memory.py --seeds $(SHARED)/seeds --workbook $(SHARED)/corpus/xlsx/a_xlsx_01.xlsx

clean:
	rm -rf $(VENV) demo-out .pytest_cache *.egg-info
