# The README's two commands: `make run` and `make test`. Everything else is for developers.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell sha1sum requirements.lock | cut -c1-12)
DEV := $(PY) deploy/devservices.py --data-dir .data --

.PHONY: run test lint bench fuzz install clean

$(STAMP): requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q -r requirements.lock
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(DEV) $(PY) deploy/run_local.py

test: $(STAMP)
	$(DEV) $(PY) -m pytest $(PYTEST_ARGS)

# Figures of the README's Benchmarks section; BENCH_ARGS=--quick for a ~3 minute run,
# --only SUITE... to pick.
bench: $(STAMP)
	$(DEV) $(PY) -m bench $(BENCH_ARGS)

# Schemathesis against the app's OpenAPI with 100 examples per operation (CI runs 5).
fuzz: $(STAMP)
	FUZZ_EXAMPLES=100 $(DEV) $(PY) -m pytest -p no:logging tests/security/test_fuzz.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .

clean:
	rm -rf .data
