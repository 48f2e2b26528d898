# The README's two commands: `make demo` runs the whole system, `make test` runs the tests.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint services browser speech clean

$(PY):
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# Reinstall whenever pyproject.toml changes.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[test,tensorflow]'
	touch $(STAMP)

services:
	scripts/services.sh

# The browser tests drive Debian's Chromium (never `playwright install`).
browser:
	command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

# The gate client's voice tests render speech with pyttsx3 through Debian's espeak-ng.
speech:
	command -v espeak-ng >/dev/null || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq espeak-ng libespeak-ng1)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

test: $(STAMP) services browser speech lint
	FACEGATE_TEST_MYSQL_URL=$${FACEGATE_TEST_MYSQL_URL:-$$(scripts/services.sh mysql-url)} \
		$(VENV)/bin/pytest

demo: $(STAMP)
	scripts/services.sh redis
	scripts/demo.sh

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
