# Two commands: `make report` builds the website and the PDF, `make test` runs the tests.
# Both set up what they need first (scripts/setup.sh).
SUBMISSION ?= default
PORT ?= 8000
RUNS ?= 5
SLOW_RUNS ?= $(RUNS)
PY := .venv/bin/python

.PHONY: setup report deck site preview stop-server test test-fast lint validate bench clean
setup:
	@scripts/setup.sh

report: setup
	$(PY) -m regenpolicy build --submission $(SUBMISSION)

# The edition's submission deck: _build/deck/<edition>-deck.pptx (editable, native charts) and -deck.pdf.
deck: setup
	$(PY) -m regenpolicy deck --submission $(SUBMISSION)

site: setup
	$(PY) -m regenpolicy site

# Stop the build server a `make report` leaves for the project's next builds (it also leaves after 10 min idle).
stop-server: setup
	$(PY) -m regenpolicy.builder.server stop .

# The report at http://127.0.0.1:$(PORT)/, rebuilt and reloaded on every save (Ctrl-C stops).
preview: setup
	$(PY) -m regenpolicy preview --submission $(SUBMISSION) --port $(PORT)

# Everything: lint and types beside the unit tests (seconds; mypy is one process, the tests two; each
# one's output is shown when it ends), then, if both passed, the tests of the real build.
# Both test suites run in $(TEST_WORKERS) processes (pytest-xdist). The build tests share one notebook cache and
# each session build is made once for both processes (tests/integration/conftest.py); tests that share
# a module's build stay in one process (--dist loadfile). The slowest are listed at the end.
TEST_WORKERS ?= 2
test: setup
	@$(MAKE) --no-print-directory -j2 --output-sync=target lint test-fast
	$(PY) -m pytest tests/integration -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder --durations=30

# The unit tests of the models, the data checks, escaping, parameters and the build's logic.
test-fast: setup
	$(PY) -m pytest tests/unit -q -n $(TEST_WORKERS) --dist loadfile

lint: setup
	.venv/bin/ruff check regenpolicy tests benchmarks
	.venv/bin/mypy

validate: setup
	$(PY) -m regenpolicy validate

# ... and what a phone gets from the published site (Lighthouse, bytes) and its size (bench_site.py: make site first),
# and the published size with the shipped editions and with $(SITE_DRAFTS) drafts of each, built in a scratch copy.
SITE_DRAFTS ?= 3
bench: setup
	$(PY) benchmarks/bench_build.py --runs $(RUNS) --slow-runs $(SLOW_RUNS)
	$(PY) benchmarks/bench_site.py --drafts $(SITE_DRAFTS)

clean:
	rm -rf _build
