# stancewire: the two commands are `make demo` and `make test`. Everything else is a step of theirs.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
LINT_PATHS := streams tests $(wildcard bench)

.PHONY: help setup kafka-jars system-postgres system-chromium demo test lint unit integration bench faults clean train-stances train-quotes

help:
	@echo "make demo   set up, start Kafka + the worker, replay seeds/, show the results, stop"
	@echo "make test   set up, lint (ruff, mypy), run the unit, agent and integration tests"
	@echo "make bench  benchmarks (see docs/performance.md)"
	@echo "make faults the fault suite: worker SIGKILLs, broker stops and kills, hostile input (minutes)"
	@echo "make train-stances   retrain the stance + sentiment model (docs/stances.md)"
	@echo "make train-quotes    retrain the cue model of quote attribution (docs/quotes.md)"

# A virtualenv with the project and its dev tools, rebuilt when pyproject.toml changes.
$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

setup: $(INSTALLED)

kafka-jars:
	bash deploy/kafka/kafka.sh fetch

# The store's tests run their queries on a real PostgreSQL server too (tests/postgres.py starts one
# from these binaries in a temporary folder). Debian's package, installed only when no server is there
# yet; the service it brings is not used (the tests start their own server on a free port).
system-postgres:
	bash deploy/apt-install.sh '/usr/lib/postgresql/*/bin/initdb' postgresql

# The browser test drives Debian's chromium (Playwright's own browser downloads are never used: they
# need a CDN the test machines cannot reach). Installed only when missing; sudo only when not root.
CHROMIUM ?= /usr/bin/chromium
system-chromium:
	bash deploy/apt-install.sh $(CHROMIUM) chromium chromium-driver

demo: setup kafka-jars
	PATH="$(abspath $(BIN)):$$PATH" bash deploy/demo.sh

lint: setup
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)
	$(BIN)/mypy

unit: setup system-postgres
	$(BIN)/pytest -m "not integration"

integration: setup kafka-jars system-chromium
	$(BIN)/pytest -m integration

test: setup kafka-jars system-postgres system-chromium lint
	$(BIN)/pytest

bench: setup kafka-jars
	$(BIN)/python -m bench

# The fault suite (bench/faults.py, docs/ingestion.md): real broker, real workers, SIGKILLs and broker
# outages; not part of `make test`. FAULTS_ARGS, e.g. "--articles 30 --kills 2 --only kill1".
faults: setup kafka-jars
	$(BIN)/python -m bench.faults $(FAULTS_ARGS)

clean:
	-bash deploy/kafka/kafka.sh stop
	rm -rf var .pytest_cache .mypy_cache .ruff_cache

# Training the models: a venv of its own (torch is large, and thinc imports torch whenever it is
# installed, which would bloat every worker). Writes streams/data/models/.
TRAIN_VENV ?= .venv-train
TRAIN_INSTALLED := $(TRAIN_VENV)/.installed
$(TRAIN_INSTALLED): pyproject.toml
	test -x $(TRAIN_VENV)/bin/python || $(PYTHON) -m venv $(TRAIN_VENV)
	$(TRAIN_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(TRAIN_VENV)/bin/python -m pip install --quiet -e '.[train]'
	touch $@

# The two models the pipeline runs (docs/stances.md): the joint stance + sentiment model, whose
# target head gives sentiment (streams/data/models/stance-sentiment-v1; 6.5-9 minutes an epoch on 2
# idle CPU cores, EPOCHS=3), and the stance-only model, whose pair head reads entity → entity stances
# (streams/data/models/stance-pairs-v1; about 4.5 minutes an epoch, PAIR_EPOCHS=5, the mean of the
# last 3 epochs' weights exported).
EPOCHS ?= 3
PAIR_EPOCHS ?= 5
train-stances: $(TRAIN_INSTALLED)
	$(TRAIN_VENV)/bin/stancewire train stances --epochs $(EPOCHS)
	$(TRAIN_VENV)/bin/stancewire train stances --epochs $(PAIR_EPOCHS) --lr 8e-5 --sentiment-weight 0 \
		--average-last 3 --output-dir streams/data/models/stance-pairs-v1

# The cue model of quote attribution (streams/data/models/quote-cues-v1): a logistic regression on
# PolNeAR's dev part, a few minutes. Only scikit-learn on top of the worker's packages.
TRAIN_QUOTES_INSTALLED := $(TRAIN_VENV)/.installed-quotes
$(TRAIN_QUOTES_INSTALLED): pyproject.toml
	test -x $(TRAIN_VENV)/bin/python || $(PYTHON) -m venv $(TRAIN_VENV)
	$(TRAIN_VENV)/bin/python -m pip install --quiet -e '.[train-quotes]'
	touch $@

train-quotes: $(TRAIN_QUOTES_INSTALLED)
	$(TRAIN_VENV)/bin/stancewire train quotes
