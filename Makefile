# seuil: `make run` to try it, `make test` to check it. Both install into .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SEUIL_TEST_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/test
# pytest-xdist workers: each has its own SQLite file, PostgreSQL database, Redis database and
# ports (tests/conftest.py). More than the two cores: many tests wait on a browser or a server;
# worksteal hands a waiting worker the tests another has not started, so no long test ends alone.
# Three, not four, since the browser runs headless-shell: the SQLite pass took 84–87 s and 2.5–2.6
# min of CPU with three, 87–93 s and 2.7–2.9 min with four (alternated, process accounting).
TEST_WORKERS ?= 3

.PHONY: run test bench messages clean directory rush

# uv installs the pinned packages into the venv (15 s from nothing, against pip's 40: a fresh
# clone, CI's, pays it on every run); pip only brings uv.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(BIN)/uv: $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt uv

$(VENV)/.run: $(BIN)/uv pyproject.toml constraints.txt
	$(BIN)/uv pip install --python $(BIN)/python --quiet -c constraints.txt -e '.[demo]'
	touch $@

$(VENV)/.dev: $(BIN)/uv pyproject.toml constraints.txt
	$(BIN)/uv pip install --python $(BIN)/python --quiet -c constraints.txt -e '.[dev]'
	touch $@ $(VENV)/.run

# The browser's zxcvbn, the same version the server's checks agree with (package-lock.json).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# With its source map: the production static storage checks every file a script refers to.
static/vendor/zxcvbn.js: node_modules/.installed
	mkdir -p static/vendor
	cp node_modules/zxcvbn/dist/zxcvbn.js node_modules/zxcvbn/dist/zxcvbn.js.map static/vendor/

# `make run PORT=8100`: seuil on that port, its demo services on the next two, and every link
# (mails, letters, the services' registrations) with them.
PORT ?= 8000
run: export SEUIL_OIDC_KEY_FILE ?= var/oidc-dev-key.pem
run: export SEUIL_SAML_KEY_DIR ?= var/saml-dev-keys
run: export SEUIL_BASE_URL ?= http://127.0.0.1:$(PORT)
run: $(VENV)/.run static/vendor/zxcvbn.js .env
	mkdir -p var
	# A development signing key for OpenID Connect, made once; production brings its own.
	[ -f "$$SEUIL_OIDC_KEY_FILE" ] || SEUIL_OIDC_KEY_FILE= SEUIL_SAML_KEY_DIR= $(BIN)/seuil oidc_key "$$SEUIL_OIDC_KEY_FILE"
	# The SAML identity provider's development keys, made once likewise (docs/saml.md).
	[ -f "$$SEUIL_SAML_KEY_DIR/signing-key.pem" ] || $(BIN)/seuil saml_keys "$$SEUIL_SAML_KEY_DIR"
	# Migrates, loads the demo, serves seuil and its demo services; Ctrl-C stops them all.
	$(BIN)/seuil run_demo

# make run's settings, written once: debug, a generated key, mail to the console, plain HTTP on
# loopback. seuil reads it in this checkout from any terminal, so every command shares the
# server's key (a Sésame issued in one terminal works in the server). Never for production.
.env:
	umask 077 && $(PYTHON) -c 'import secrets; print("# Written by make run, for development only: seuil reads it in this checkout.\n# Production reads only the environment. Delete this file to get a new key.\nSEUIL_DEBUG=true\nSEUIL_SECRET_KEY=" + secrets.token_urlsafe(50) + "\nSEUIL_EMAIL_BACKEND=console\nSEUIL_SECURE_COOKIES=false")' > $@

# Python keeps what it compiles (and pytest its rewritten tests) in __pycache__: on a machine
# whose environment says PYTHONDONTWRITEBYTECODE, every worker and every command a test starts
# would compile seuil, Django and the tests again (4 s of each worker's 9 s collection).
test: export PYTHONDONTWRITEBYTECODE =
test: export SEUIL_ENV_FILE =
test: export SEUIL_SECRET_KEY ?= make-test-only-secret-key-0123456789abcdefghijklmnop
test: export SEUIL_OIDC_KEY_FILE ?= tests/data/oidc-test-key.pem
test: $(VENV)/.dev static/vendor/zxcvbn.js
	mkdir -p var
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	# mypy, bandit and the migrations check run beside the SQLite pass, whose workers leave part
	# of a core idle while they wait on browsers and servers; their output follows the pass's.
	# bandit's "nosec encountered, but no failed test" on f-strings is its bug PyCQA/bandit#1204.
	@echo "mypy, bandit, makemigrations --check: beside the first pass, in var/checks.log"
	@( $(BIN)/mypy && $(BIN)/bandit -c pyproject.toml -r seuil -ll -q \
	   && $(BIN)/seuil makemigrations --check --dry-run --verbosity 0 ) > var/checks.log 2>&1 & \
	checks=$$!; \
	$(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal; suite=$$?; \
	wait $$checks; checked=$$?; \
	echo "--- mypy, bandit, makemigrations --check (exit $$checked):"; cat var/checks.log; \
	[ $$suite -eq 0 ] && [ $$checked -eq 0 ]
	# PostgreSQL runs again the tests that use the database (tests/conftest.py). Beside it, the
	# short rush (bench/rush.py --ci: PostgreSQL crashed and Redis killed under load, on servers
	# of its own) checks failing safe; it waits on the clock half the time, and the pass fills
	# the core it leaves. Its output follows the pass's; a failed check fails the run.
	@echo "bench/rush.py --ci: beside the PostgreSQL pass, in var/rush.log"
	@$(BIN)/python bench/rush.py --ci > var/rush.log 2>&1 & \
	rush=$$!; \
	DATABASE_URL=$(SEUIL_TEST_POSTGRES_URL) $(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal; \
	suite=$$?; wait $$rush; rushed=$$?; \
	echo "--- bench/rush.py --ci (exit $$rushed):"; cat var/rush.log; \
	[ $$suite -eq 0 ] && [ $$rushed -eq 0 ]

# A throwaway OpenLDAP (Debian's slapd) with seuil's schema, to try the provisioning; Ctrl-C ends it.
directory: $(VENV)/.run
	$(BIN)/python -m seuil.directory.sandbox

# After changing a message: extract (no fuzzy guesses), translate locale/en, compile.
messages: export SEUIL_ENV_FILE =
messages: export SEUIL_SECRET_KEY ?= make-messages-only-secret-key-0123456789abcdefghijklmn
messages: export SEUIL_OIDC_KEY_FILE ?= tests/data/oidc-test-key.pem
messages: $(VENV)/.dev
	$(BIN)/seuil makemessages -l en --no-location --ignore=.venv --ignore=node_modules --ignore=var --ignore=tests --ignore=bench
	$(BIN)/seuil compilemessages --ignore=.venv --ignore=node_modules

# Figures, not tests: the 100,000-person import, then activations and sign-ins over HTTP, then
# single sign-on (authorization, code exchange, CAS login and validation), the directory's idle
# full sync, the second factor's checks, SAML responses, and the statements and round trips of
# each hot path (deterministic: they do not depend on the machine's load).
bench: $(VENV)/.dev static/vendor/zxcvbn.js
	$(BIN)/python bench/import_people.py
	$(BIN)/python bench/load.py --databases postgresql --redis private --out var/bench/load-postgresql.json
	$(BIN)/python bench/load.py --databases sqlite --out var/bench/load-sqlite.json
	$(BIN)/python bench/sso.py --databases postgresql --redis private --out var/bench/sso-postgresql.json
	$(BIN)/python bench/sso.py --databases sqlite --out var/bench/sso-sqlite.json
	$(BIN)/python bench/directory.py --postgres $(SEUIL_TEST_POSTGRES_URL)
	$(BIN)/python bench/directory.py
	$(BIN)/python bench/mfa.py --postgres $(SEUIL_TEST_POSTGRES_URL) --rounds 3
	$(BIN)/python bench/mfa.py --rounds 3
	$(BIN)/python bench/saml.py --rounds 3
	$(BIN)/python bench/round_trips.py --postgres $(SEUIL_TEST_POSTGRES_URL)
	$(BIN)/python bench/round_trips.py

# Two hosts under load while PostgreSQL, Redis, slapd and SMTP fail, and what was lost (issue 26).
rush: $(VENV)/.dev static/vendor/zxcvbn.js
	PYTHONDONTWRITEBYTECODE= SEUIL_ENV_FILE= $(BIN)/python bench/rush.py

clean:
	rm -rf $(VENV) var .mypy_cache .pytest_cache .ruff_cache
