# Two commands: `make report` builds the website and the PDF, `make test` runs the tests.
# Both set up what they need first (scripts/setup.sh).
SUBMISSION ?= default
PY := .venv/bin/python

.PHONY: setup report site test validate bench clean
setup:
	@scripts/setup.sh

report: setup
	$(PY) -m regenpolicy build --submission $(SUBMISSION)

site: setup
	$(PY) -m regenpolicy site

test: setup
	$(PY) -m pytest

validate: setup
	$(PY) -m regenpolicy validate

bench: setup
	$(PY) benchmarks/bench_build.py

clean:
	rm -rf _build
