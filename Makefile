# Two entry points for people and CI: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test lint typecheck pytest system-deps constraints clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	touch $@

demo: $(STAMP)
	$(BIN)/siyu demo

# Debian packages the tests need: headless Chromium and a CJK font for page tests (screenshots show
# Chinese, not boxes), PostgreSQL server binaries for the throwaway database the fixtures start,
# redis-server for the scale-out tests, coturn (turnserver) for the TURN relay test of calls.
system-deps:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q chromium; fi
	@if ! dpkg -s fonts-noto-cjk >/dev/null 2>&1; then \
	  $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q fonts-noto-cjk; fi
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q postgresql; fi
	@if ! command -v redis-server >/dev/null 2>&1; then \
	  $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q redis-server; fi
	@if ! command -v turnserver >/dev/null 2>&1; then \
	  $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q coturn; fi

lint: $(STAMP)
	$(BIN)/ruff check src tests

typecheck: $(STAMP)
	$(BIN)/mypy src

pytest: $(STAMP) system-deps
	$(BIN)/pytest

test: lint typecheck pytest

# Re-pin the reproducible install after changing dependency ranges in pyproject.toml.
constraints:
	$(BIN)/pip freeze --exclude-editable | grep -v '^siyu' > constraints.txt

clean:
	rm -rf $(VENV) var .mypy_cache .pytest_cache .ruff_cache
