# Dajiuzhu — two commands do all the set-up: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
HOST   ?= 127.0.0.1:8000
SIZE   ?= 1000000

.PHONY: install run serve test test-pg bench lint clean

$(VENV)/.installed: requirements.txt constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements.txt -c constraints.txt
	touch $@

install: $(VENV)/.installed
	$(PY) manage.py compile_catalogues

## Prepare the embedded SQLite database with the demo county and serve the platform.
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --if-empty
	$(PY) manage.py demo_accounts --url http://$(HOST)/
	$(PY) manage.py portal_demo_residents --url http://$(HOST)/
	$(PY) manage.py runserver $(HOST)

serve: install
	$(PY) manage.py runserver $(HOST)

## The whole test suite (SQLite by default; set DATABASE_URL for PostgreSQL).
test: install
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest -q -p no:cacheprovider

## The benchmark suite on PostgreSQL (results in docs/benchmarks.md; see bench/README.md).
## make bench [SIZE=1000000] [REPEAT=3] [ONLY=screening,indices] [FRESH=1] [RESULTS=var/bench/results-me.json]
## DATABASE_URL defaults to .../dajiuzhu_bench; RESULTS elsewhere than var/bench/results.json writes its own
## report beside it (<results>.md) instead of docs/benchmarks.md.
REPEAT  ?= 3
ONLY    ?=
FRESH   ?=
RESULTS ?=
bench: install
	$(PY) -m bench --people $(SIZE) --repeat $(REPEAT) $(if $(ONLY),--only $(ONLY)) $(if $(FRESH),--fresh) \
		$(if $(RESULTS),--results $(RESULTS))

lint: install
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) var/
