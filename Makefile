# RefundGuard — `make run` analyses the sample claim; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test bench lint serve samples system-deps fonts clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

samples: $(STAMP)
	$(PY) scripts/make_samples.py samples

fonts:
	@bash scripts/system-deps.sh fonts

run: $(STAMP) fonts
	@test -f samples/claim.jpg || $(PY) scripts/make_samples.py samples
	$(VENV)/bin/refundguard analyze samples/claim.jpg samples/claim_ai.png --reference samples/listing.jpg \
		--html out/report.html --lang en

system-deps:
	@bash scripts/system-deps.sh

test: $(STAMP) system-deps
	$(PY) -m pytest -q $(PYTEST_ARGS)

bench: $(STAMP)
	$(PY) -m bench

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench scripts

serve: $(STAMP)
	$(VENV)/bin/refundguard serve

clean:
	rm -rf out .pytest_cache
