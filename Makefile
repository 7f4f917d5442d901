# Set-up and everyday commands. Everything installs from the package registries; nothing downloads at run time.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_Q := Who leads the interim government?

.PHONY: demo test test-fast lint install install-local install-test bench clean

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

## The local model (llama.cpp): a portable wheel built once by .ci/llama-wheel and installed from that file only.
## --only-binary keeps pip from ever compiling llama-cpp-python itself (natively, for this CPU alone) or taking a
## wheel from its cache. LLAMA_CMAKE_ARGS picks other build flags (docs/answering.md); the stamp holds the wheel's
## path, so other flags (another wheel) or a changed pyproject.toml reinstall.
LOCAL := $(VENV)/.installed-local

install-local: $(STAMP)
	@wheel=$$(.ci/llama-wheel $(BIN)/python) && \
	if [ "$$(cat $(LOCAL) 2>/dev/null)" != "$$wheel" ] || [ pyproject.toml -nt $(LOCAL) ]; then \
	  echo "installing $$wheel" && \
	  $(BIN)/python -m pip install -q --no-deps --force-reinstall "$$wheel" && \
	  $(BIN)/python -m pip install -q --only-binary llama-cpp-python --find-links "$$(dirname "$$wheel")" \
	    -e '.[test,local]' && \
	  echo "$$wheel" > $(LOCAL); \
	fi

install-test: install-local

## Lint and type-check (ruff, mypy: configured in pyproject.toml).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

## The lint, then the whole suite: Chroma server, llama.cpp server and the browser test included.
test: install-local lint
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
	@$(BIN)/python -c 'from newsdesk.settings import load_settings; s = load_settings().store; \
	print("The example corpus is in the store at", f"chroma://{s.host}:{s.port}" if s.host else s.path)'
	@echo 'Next: $(BIN)/assistant chat          (questions with follow-ups)'
	@echo '      $(BIN)/assistant ask "QUESTION"'
	@echo '      $(BIN)/assistant serve         (the chat page)'
	@echo '      $(BIN)/assistant ingest FOLDER (your own articles; --help for more)'
