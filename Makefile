# Set-up and everyday commands. Everything installs from the package registries; nothing downloads at run time.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_Q := Who leads the interim government?

.PHONY: demo test test-fast install install-test bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

install: $(STAMP)

## Install, ingest the example corpus into the default store and answer the seed question.
demo: $(STAMP)
	$(BIN)/assistant ingest examples/corpus
	$(BIN)/assistant ask "$(DEMO_Q)"

$(VENV)/.installed-test: $(STAMP)
	$(BIN)/python -m pip install -q -e '.[test,local,server]'
	touch $@

install-test: $(VENV)/.installed-test

## The whole suite: Chroma server, llama.cpp server and the browser test included.
test: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q -rs

## Skip the slow parts (llama.cpp server, browser) while working.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow"

bench: $(STAMP)
	$(BIN)/python -m bench.ingest
	$(BIN)/python -m bench.retrieve

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
