# The two commands: `make demo` and `make test`. The rest is for working on Tsunagu.
.PHONY: demo test up down status install docs bench simulate

PY := .cache/venv/bin/python

demo: install
	python3 scripts/stack.py up all
	$(PY) -m tsunagu_tools.demo

test:
	bash scripts/test.sh

install:
	bash scripts/install.sh

up: install
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
