# The two commands: `make demo` and `make test`. The rest is for working on Tsunagu.
.PHONY: demo test lint up down status install docs bench simulate deploy-check

PY := .cache/venv/bin/python

# demo and up skip the deployment checks' tools (only `make test` needs them)
demo:
	TSUNAGU_INSTALL_DEPLOY_TOOLS=0 bash scripts/install.sh
	python3 scripts/stack.py up all
	eval "$$(python3 scripts/stack.py env)" && $(PY) -m tsunagu_tools.demo

test:
	bash scripts/test.sh

# ruff and mypy, configured in pyproject.toml; `make test` runs them first.
lint:
	bash scripts/lint.sh

install:
	bash scripts/install.sh

# Every service's image built with a real container engine and started as the prod overlay runs it,
# against the test stack (docs/operations.md, "Check the images locally"). `make test` runs it too.
deploy-check:
	bash scripts/test.sh tests/deploy/test_deploy_images.py -rA -s

up:
	TSUNAGU_INSTALL_DEPLOY_TOOLS=0 bash scripts/install.sh
	python3 scripts/stack.py up all

down:
	python3 scripts/stack.py down

status:
	python3 scripts/stack.py status

docs: install
	$(PY) scripts/make_docs.py

# A seeded 30-day season (10,000 students, 200 companies) through the contact policy; report in .cache/simulation/.
simulate: install
	$(PY) -m tsunagu_simulator --out .cache/simulation $(SIMULATE_ARGS)

# Benchmarks on their own stack (ports apart from dev and test); figures go to bench/results/.
BENCH_ENV := TSUNAGU_STATE_DIR=$(CURDIR)/.cache/run/bench TSUNAGU_KAFKA_PORT=59092 TSUNAGU_MONGO_PORT=57037 TSUNAGU_POSTGRES_PORT=55433 \
	TSUNAGU_OPENSEARCH_PORT=59200 TSUNAGU_PORT_BASE=8400 TSUNAGU_EMULATOR_PORT_BASE=8420

bench: install
	$(BENCH_ENV) bash -c 'python3 scripts/stack.py down; rm -rf "$$TSUNAGU_STATE_DIR"; \
		trap "python3 scripts/stack.py down" EXIT; python3 scripts/stack.py up infra && \
		eval "$$(python3 scripts/stack.py env)" && $(PY) bench/run.py $(BENCHMARKS)'
