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
	@$(MAKE) -s demo-next

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

.PHONY: demo-next
# What the demo leaves behind and what to run next.
demo-next:
	@echo
	@$(BIN)/python -c 'from assistant.settings import load_settings; s = load_settings().store; \
	print("The example corpus is in the store at", f"chroma://{s.host}:{s.port}" if s.host else s.path)'
	@echo 'Next: $(BIN)/assistant chat          (questions with follow-ups)'
	@echo '      $(BIN)/assistant ask "QUESTION"'
	@echo '      $(BIN)/assistant serve         (the chat page)'
	@echo '      $(BIN)/assistant ingest FOLDER (your own articles; --help for more)'
