# The README's two commands: `make demo` runs the whole system, `make test` runs the tests.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_STAMP := $(VENV)/.installed-demo

.PHONY: demo test lint services build-deps dlib-openblas browser speech clean

$(PY):
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# dlib comes prebuilt (the dlib-bin wheel: seconds to install, no BLAS). `make dlib-openblas` replaces it with dlib
# compiled against OpenBLAS (a few minutes, once: pip caches the wheel): the same descriptors, its face ResNet 5x
# faster (docs/capacity.md); build-deps installs what that build needs.
build-deps:
	dpkg -s libopenblas-dev g++ pkg-config >/dev/null 2>&1 || (apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libopenblas-dev g++ pkg-config)

dlib-openblas: build-deps | $(PY)
	$(PY) -m pip install -q --force-reinstall --no-deps 'dlib>=19.24'

# Reinstall whenever pyproject.toml changes.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[test,tensorflow]'
	touch $(STAMP)

$(DEMO_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[gate]'
	touch $(DEMO_STAMP)

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

# The whole system on this machine (demo/): `make demo DEMO_ARGS=--reset` builds the demo site afresh,
# `DEMO_ARGS=--help` lists the options. It needs neither TensorFlow nor the test tools.
demo: $(DEMO_STAMP)
	scripts/services.sh redis
	$(MAKE) -s speech || echo "demo: espeak-ng could not be installed: the gate clients will not speak"
	$(PY) -m demo $(DEMO_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
