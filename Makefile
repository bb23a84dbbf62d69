# mmmeta developer commands. Each target sets up the environment first
# (tools/install.sh: seconds when it is already complete).
#   make demo   install, then run the main job on generated data
#   make test   install, then lint and run the test suite
PYTHON_ENV := $(or $(MMMETA_PYTHON),$(CURDIR)/.venv/bin/python)
PYTEST_ARGS ?=

.PHONY: install demo test lint

install:
	bash tools/install.sh

demo: install
	$(PYTHON_ENV) tools/demo.py

lint: install
	$(PYTHON_ENV) -m ruff check mmmeta tools tests configs demo setup.py

test: lint
	$(PYTHON_ENV) -m pytest tests $(PYTEST_ARGS)
